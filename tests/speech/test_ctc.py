"""CTC loss: the α recursion equals torch's kernel and the brute-force sum over alignments."""

import itertools
import math

import pytest
import torch

from seqkit.speech.ctc import ctc_loss
from seqkit.speech.decode import collapse


def _random_log_probs(B: int, T: int, V: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, T, V, generator=g, dtype=torch.float64).log_softmax(-1)


def _brute_force_nll(log_probs: torch.Tensor, labels: list[int], blank: int = 0) -> float:
    """−log Σ_{π ∈ ℬ⁻¹(l)} Π_t y<t>_{π_t}, enumerating all V^T paths of one utterance (T, V)."""
    T, V = log_probs.shape
    total = sum(math.exp(sum(log_probs[t, s].item() for t, s in enumerate(path)))
                for path in itertools.product(range(V), repeat=T)
                if collapse(path, blank) == labels)
    return -math.log(total) if total > 0 else math.inf


@pytest.mark.parametrize("labels", [[], [1], [2, 1], [1, 1], [2, 2, 2], [1, 2, 1], [1, 1, 1]])
@pytest.mark.parametrize("T", [1, 2, 3, 4])
def test_reference_equals_brute_force_sum_over_alignments(labels: list[int], T: int) -> None:
    log_probs = _random_log_probs(1, T, 3, seed=T)
    targets = torch.tensor([labels + [0] * (3 - len(labels))])
    loss = ctc_loss(log_probs, targets, torch.tensor([T]), torch.tensor([len(labels)]),
                    reduction="none", fused=False)
    expected = _brute_force_nll(log_probs[0], labels)
    if math.isinf(expected):  # more labels (and separating blanks) than frames
        assert math.isinf(loss.item())
    else:
        assert loss.item() == pytest.approx(expected, rel=1e-12)


def test_notes_example_collapse() -> None:
    # notes: "ttt - h - eee - - l - - gggg -" collapses to "the" … ; blanks are "-"
    path = "ttt_h_eee__l__gggg_"
    assert "".join(collapse(path, blank="_")) == "thelg"
    assert collapse([1, 1, 0, 1], blank=0) == [1, 1]


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_reference_equals_torch_loss_and_gradients(reduction: str) -> None:
    # different input and target lengths, repeated labels, an empty target, a blank other than 0
    B, T, V = 5, 9, 5
    logits = torch.randn(B, T, V, generator=torch.Generator().manual_seed(1),
                         dtype=torch.float64, requires_grad=True)
    targets = torch.tensor([[1, 1, 2, 3], [3, 3, 3, 0], [2, 1, 0, 0], [4, 1, 4, 1], [0, 0, 0, 0]])
    target_lengths = torch.tensor([4, 3, 2, 4, 0])
    input_lengths = torch.tensor([9, 8, 3, 9, 2])
    blank = 0
    ours = ctc_loss(logits.log_softmax(-1), targets, input_lengths, target_lengths, blank,
                    reduction, fused=False)
    oracle = torch.nn.functional.ctc_loss(logits.log_softmax(-1).transpose(0, 1), targets,
                                          input_lengths, target_lengths, blank, reduction)
    torch.testing.assert_close(ours, oracle, rtol=1e-10, atol=1e-10)
    (grad_ours,) = torch.autograd.grad(ours.sum(), logits)
    (grad_oracle,) = torch.autograd.grad(oracle.sum(), logits)
    torch.testing.assert_close(grad_ours, grad_oracle, rtol=1e-8, atol=1e-10)


def test_blank_last_and_fused_path_agree() -> None:
    log_probs = _random_log_probs(2, 6, 4, seed=3)
    args = (torch.tensor([[0, 1, 1], [2, 0, 0]]), torch.tensor([6, 5]), torch.tensor([3, 2]))
    reference = ctc_loss(log_probs, *args, blank=3, reduction="none", fused=False)
    fused = ctc_loss(log_probs, *args, blank=3, reduction="none")
    torch.testing.assert_close(reference, fused, rtol=1e-10, atol=1e-10)


def test_gradient_is_finite_with_unreachable_states() -> None:
    # T = 2 cannot reach most of l' for S = 2; the −inf states must not give NaN gradients
    logits = torch.randn(1, 3, 3, dtype=torch.float64, requires_grad=True)
    loss = ctc_loss(logits.log_softmax(-1), torch.tensor([[1, 2]]), torch.tensor([2]),
                    torch.tensor([2]), fused=False)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"log_probs": torch.zeros(2, 3)}, r"log_probs of shape \(B, T, V\), got \(2, 3\)"),
    ({"targets": torch.zeros(3, 2, dtype=torch.long)}, r"targets of shape \(1, S\)"),
    ({"input_lengths": torch.tensor([4])}, r"input_lengths in \[1, 3\], got \[4\]"),
    ({"target_lengths": torch.tensor([3])}, r"target_lengths in \[0, 2\], got \[3\]"),
    ({"blank": 5}, r"blank in \[0, 3\), got 5"),
])
def test_errors_name_the_argument(kwargs: dict, match: str) -> None:
    args = {"log_probs": torch.zeros(1, 3, 3), "targets": torch.ones(1, 2, dtype=torch.long),
            "input_lengths": torch.tensor([3]), "target_lengths": torch.tensor([2]),
            "blank": 0} | kwargs
    with pytest.raises(ValueError, match=f"ctc_loss: expected {match}"):
        ctc_loss(**args)
