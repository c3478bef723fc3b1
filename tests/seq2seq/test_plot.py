import pytest
import torch

from seqkit.files import OutputError
from seqkit.seq2seq import plot_attention

PNG = b"\x89PNG\r\n\x1a\n"


def test_writes_a_png(tmp_path) -> None:
    alpha = torch.softmax(torch.randn(4, 6), dim=1)  # (T, S)
    path = tmp_path / "map.png"
    plot_attention(alpha, list("3/3/98"), ["1", "9", "9", "</s>"], path)
    assert path.read_bytes().startswith(PNG)
    plot_attention(alpha.numpy()[:, :2], ["a", "b"], list("wxyz"), path)  # replaces it
    assert path.read_bytes().startswith(PNG)
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]  # no temporary file left


def test_errors(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"plot_attention: expected alpha of shape \(T, S\) = "
                                         r"\(2, 3\), got \(3, 2\)"):
        plot_attention(torch.zeros(3, 2), ["a", "b", "c"], ["x", "y"], tmp_path / "map.png")
    with pytest.raises(OutputError, match=r"missing/map\.png: cannot write \(no such file"):
        plot_attention(torch.zeros(1, 1), ["a"], ["x"], tmp_path / "missing" / "map.png")
    assert not list(tmp_path.iterdir())
