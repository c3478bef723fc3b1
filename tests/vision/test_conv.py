import pytest
import torch
import torch.nn.functional as F

from seqkit.vision.conv import conv2d, global_pool2d, output_size, pool2d, resolve_padding


def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, dtype=torch.float64, generator=g)


def _image(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)[None, None]  # (1, 1, H, W)


# --- the notes' worked examples ------------------------------------------------------------


def test_notes_vertical_edge_example_6x6_conv_3x3_gives_4x4():
    # The notes' transcription garbles the fifth row ([1, 2, 1, 6, …]) and the sixth
    # ([2, 9, 5, …]) and reads −9 for −4 in the result; with the lecture's original image below,
    # every other number of the notes' 4×4 result comes out, as does the hand-worked −5.
    x = _image([[3, 0, 1, 2, 7, 4], [1, 5, 8, 9, 3, 1], [2, 7, 2, 5, 1, 3],
                [0, 1, 3, 1, 7, 8], [4, 2, 1, 6, 2, 8], [2, 4, 5, 2, 3, 9]])
    W = _image([[1, 0, -1], [1, 0, -1], [1, 0, -1]])
    z = conv2d(x, W)
    assert z.shape == (1, 1, 4, 4)
    # top-left by hand (notes): 3·1 + 1·1 + 2·1 + 0 + 0 + 0 − 1 − 8 − 2 = −5
    assert z[0, 0, 0, 0] == -5
    torch.testing.assert_close(z[0, 0], torch.tensor(
        [[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]],
        dtype=torch.float64))


def test_vertical_edge_is_found_in_the_middle_columns():
    x = _image([[10, 10, 10, 0, 0, 0]] * 6)  # bright left half, dark right half
    z = conv2d(x, _image([[1, 0, -1]] * 3))
    torch.testing.assert_close(z[0, 0], torch.tensor([[0, 30, 30, 0]] * 4, dtype=torch.float64))


def test_notes_max_pool_4x4_example():
    x = _image([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
    torch.testing.assert_close(pool2d(x, 2)[0, 0], torch.tensor([[9.0, 2], [6, 3]],
                                                                dtype=torch.float64))
    # average pooling of the same windows, by hand: (1+3+2+9)/4, (2+1+1+1)/4, ...
    torch.testing.assert_close(pool2d(x, 2, mode="avg")[0, 0],
                               torch.tensor([[3.75, 1.25], [3.75, 2.0]], dtype=torch.float64))


@pytest.mark.parametrize(("n", "f", "p", "s", "expected"), [
    (6, 3, 0, 1, 4),  # notes: 6×6 ∗ 3×3 → 4×4
    (7, 3, 0, 2, 3),  # notes: 7×7 ∗ 3×3, stride 2 → 3×3
    (7, 3, 1, 2, 4),  # notes: (7 + 2 − 3)/2 + 1 = 4
    (28, 3, 1, 2, 14),  # notes: ⌊27/2⌋ + 1 = 13 + 1 = 14
    (227, 11, 0, 4, 55),  # AlexNet's first layer
    (5, 3, 1, 1, 5),  # notes: same padding, 5 + 2 − 3 + 1 = 5
])
def test_output_size_is_floor_of_n_plus_2p_minus_f_over_s_plus_1(n, f, p, s, expected):
    assert output_size(n, f, p, s) == expected
    assert F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, f, f), stride=s,
                    padding=p).shape[-1] == expected


def test_padding_names():
    assert resolve_padding("valid", 5) == 0
    assert resolve_padding("same", 5) == 2 and resolve_padding("same", 1) == 0
    assert resolve_padding(3, 5) == 3
    with pytest.raises(ValueError, match="'same' needs an odd filter size, got f=4"):
        resolve_padding("same", 4)
    with pytest.raises(ValueError, match="expected 'valid', 'same' or p ≥ 0, got 'full'"):
        resolve_padding("full", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="filter f=5 is larger than the padded input"):
        output_size(3, 5)


# --- parity with torch's kernels, values and gradients ---------------------------------------


@pytest.mark.parametrize(("stride", "padding", "f", "bias"), [
    (1, "valid", 3, True), (2, 1, 3, True), (1, "same", 5, False), (3, "valid", 2, True),
    (2, "same", 3, False),
])
def test_conv2d_matches_torch_with_gradients(stride, padding, f, bias):
    x = _randn(2, 3, 7, 6, seed=1).requires_grad_()  # (B, C, H, W), H ≠ W
    W = _randn(4, 3, f, f, seed=2).requires_grad_()  # K = 4 filters
    b = _randn(4, seed=3).requires_grad_() if bias else None
    p = resolve_padding(padding, f)
    z = conv2d(x, W, b, stride, padding)
    z_torch = F.conv2d(x, W, b, stride, p)
    torch.testing.assert_close(z, z_torch)
    assert z.shape == (2, 4, output_size(7, f, p, stride), output_size(6, f, p, stride))
    dz = _randn(*z.shape, seed=4)
    inputs = [x, W] + ([b] if bias else [])
    grads = torch.autograd.grad(z, inputs, dz)
    torch.testing.assert_close(grads, torch.autograd.grad(z_torch, inputs, dz))


@pytest.mark.parametrize(("f", "stride"), [(2, None), (3, 2), (3, 1), (2, 3)])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_matches_torch_with_gradients(f, stride, mode):
    x = _randn(2, 3, 7, 8, seed=5).requires_grad_()
    y = pool2d(x, f, stride, mode)
    y_torch = (F.max_pool2d if mode == "max" else F.avg_pool2d)(x, f, stride)
    torch.testing.assert_close(y, y_torch)
    dy = _randn(*y.shape, seed=6)
    torch.testing.assert_close(torch.autograd.grad(y, x, dy)[0],
                               torch.autograd.grad(y_torch, x, dy)[0])


def test_global_pooling_is_one_number_per_channel():
    x = _randn(2, 3, 5, 4, seed=7)
    torch.testing.assert_close(global_pool2d(x), F.adaptive_avg_pool2d(x, 1).flatten(1))
    torch.testing.assert_close(global_pool2d(x, "max"), F.adaptive_max_pool2d(x, 1).flatten(1))
    assert global_pool2d(x).shape == (2, 3)


def test_errors_name_the_function_and_what_came():
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(B, C, H, W\), got"):
        conv2d(torch.zeros(3, 6, 6), torch.zeros(1, 3, 3, 3))
    with pytest.raises(ValueError, match="filters expect 3 input channels, got input with 2"):
        conv2d(torch.zeros(1, 2, 6, 6), torch.zeros(1, 3, 3, 3))
    with pytest.raises(ValueError, match=r"pool2d: unknown mode 'min'; choose from \['max', 'av"):
        pool2d(torch.zeros(1, 1, 4, 4), 2, mode="min")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="global_pool2d: unknown mode 'l2'"):
        global_pool2d(torch.zeros(1, 1, 4, 4), "l2")  # type: ignore[arg-type]
