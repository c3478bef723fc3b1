import math

import pytest
import torch
import torch.nn.functional as F

from seqkit.core import losses


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, dtype=torch.float64, generator=_gen(seed))


def _assert_same_value_and_grad(ours, oracle, *inputs):
    """ours(*inputs) == oracle(*inputs) and so are the gradients w.r.t. the first input."""
    x1 = inputs[0].clone().requires_grad_()
    x2 = inputs[0].clone().requires_grad_()
    j1, j2 = ours(x1, *inputs[1:]), oracle(x2, *inputs[1:])
    torch.testing.assert_close(j1, j2, rtol=1e-12, atol=1e-14)
    j1.backward()
    j2.backward()
    assert x1.grad.abs().sum() > 0
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-12, atol=1e-14)


def _labels(*shape: int) -> torch.Tensor:
    return (torch.rand(*shape, generator=_gen(1)) < 0.5).double()


# Each fast path (torch's fused kernel) equals the notes' written-out form, value and gradient.


def test_binary_cross_entropy_fast_path_equals_the_notes_form():
    y_hat = torch.rand(5, 3, generator=_gen(0), dtype=torch.float64) * 0.98 + 0.01
    y = _labels(5, 3)
    _assert_same_value_and_grad(
        losses.binary_cross_entropy, losses.binary_cross_entropy_reference, y_hat, y
    )


@pytest.mark.parametrize(
    "bce", [losses.binary_cross_entropy, losses.binary_cross_entropy_reference]
)
def test_binary_cross_entropy_clamps_each_log_at_minus_100(bce):
    y_hat = torch.tensor([0.0, 1.0], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert bce(y_hat, y).item() == 100.0


def test_binary_cross_entropy_with_logits_fast_path_equals_the_notes_form():
    z = _randn(4, 6) * 5
    _assert_same_value_and_grad(
        losses.binary_cross_entropy_with_logits,
        losses.binary_cross_entropy_with_logits_reference,
        z,
        _labels(4, 6),
    )


@pytest.mark.parametrize(
    "bce",
    [losses.binary_cross_entropy_with_logits, losses.binary_cross_entropy_with_logits_reference],
)
def test_binary_cross_entropy_with_logits_is_stable_and_its_gradient_is_a_minus_y(bce):
    z = _randn(4, 6) * 5
    z[0, :3] = torch.tensor([1000.0, -1000.0, 0.0])
    z.requires_grad_()
    y = _labels(4, 6)
    loss = bce(z, y)
    assert math.isfinite(loss.item())
    loss.backward()  # the notes' dz = a − y, averaged over the m entries
    torch.testing.assert_close(z.grad, (torch.sigmoid(z) - y).detach() / y.numel())


def test_binary_cross_entropy_takes_integer_labels():
    z, y = _randn(3, 4), _labels(3, 4)
    torch.testing.assert_close(
        losses.binary_cross_entropy_with_logits(z, y.long()),
        losses.binary_cross_entropy_with_logits_reference(z, y),
    )
    torch.testing.assert_close(
        losses.binary_cross_entropy(torch.sigmoid(z), y.long()),
        losses.binary_cross_entropy_reference(torch.sigmoid(z), y),
    )


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32])
def test_categorical_cross_entropy_fast_path_equals_the_notes_form(dtype):
    z = _randn(7, 5) * 3
    targets = torch.tensor([0, 4, 2, 2, 1, 3, 0], dtype=dtype)
    _assert_same_value_and_grad(
        losses.categorical_cross_entropy, losses.categorical_cross_entropy_reference, z, targets
    )


@pytest.mark.parametrize(
    "cce", [losses.categorical_cross_entropy, losses.categorical_cross_entropy_reference]
)
def test_categorical_cross_entropy_of_huge_logits_is_finite_and_exact(cce):
    huge = torch.tensor([[1000.0, 0.0, -1000.0]], dtype=torch.float64)
    assert cce(huge, torch.tensor([2])).item() == 2000.0  # −log softmax = 1000 − (−1000)


def test_mse_matches_torch():
    _assert_same_value_and_grad(losses.mse, F.mse_loss, _randn(4, 3), _randn(4, 3, seed=1))


@pytest.mark.parametrize("suffix", ["", "_reference"])
def test_loss_input_errors(suffix):
    cce = getattr(losses, "categorical_cross_entropy" + suffix)
    with pytest.raises(
        TypeError,
        match=rf"categorical_cross_entropy{suffix}: expected integer class ids .* torch.float32",
    ):
        cce(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(
        ValueError,
        match=rf"categorical_cross_entropy{suffix}: expected logits \(B, V\) and targets \(B,\)",
    ):
        cce(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long))
    for name in ("binary_cross_entropy", "binary_cross_entropy_with_logits"):
        with pytest.raises(
            ValueError, match=rf"{name}{suffix}: expected targets of shape \(4, 3\), got \(3, 4\)"
        ):
            getattr(losses, name + suffix)(torch.full((4, 3), 0.5), torch.zeros(3, 4))
    with pytest.raises(ValueError, match=r"mse: expected targets of shape \(4, 3\), got \(3, 4\)"):
        losses.mse(torch.zeros(4, 3), torch.zeros(3, 4))


SEQUENCE_LOSSES = [losses.sequence_cross_entropy, losses.sequence_cross_entropy_reference]


def _batch(pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random logits (B, T, V) = (3, 5, 7) and targets whose padding is ``pad``."""
    z = _randn(3, 5, 7) * 2
    targets = torch.randint(0, 7, (3, 5), generator=_gen(2))
    targets[targets == pad] = (pad + 1) % 7  # real tokens are never the pad id ...
    lengths = torch.tensor([5, 2, 4])
    targets[torch.arange(5) >= lengths[:, None]] = pad  # ... and padding ends each row
    return z, targets


@pytest.mark.parametrize("pad", [0, 3])
@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.4, 1.0])
def test_sequence_cross_entropy_fast_path_equals_the_notes_form(smoothing, pad):
    z, targets = _batch(pad)

    def fast(z, targets):
        return losses.sequence_cross_entropy(z, targets, pad, smoothing).loss

    def notes(z, targets):
        return losses.sequence_cross_entropy_reference(z, targets, pad, smoothing).loss

    _assert_same_value_and_grad(fast, notes, z, targets)
    _assert_same_value_and_grad(fast, notes, z, targets.int())


@pytest.mark.parametrize("sequence_loss", SEQUENCE_LOSSES)
def test_sequence_cross_entropy_is_torch_mean_over_real_tokens(sequence_loss):
    z, targets = _batch(pad=3)
    V = z.shape[-1]
    expected = F.cross_entropy(
        z.view(-1, V), targets.view(-1), ignore_index=3, label_smoothing=0.2
    )
    torch.testing.assert_close(sequence_loss(z, targets, 3, 0.2).loss, expected)


@pytest.mark.parametrize("sequence_loss", SEQUENCE_LOSSES)
def test_sequence_cross_entropy_counts_real_tokens_and_ignores_padded_logits(sequence_loss):
    z, targets = _batch(pad=0)
    result = sequence_loss(z, targets, 0, smoothing=0.1)
    assert isinstance(result, losses.SequenceLoss)
    assert result.loss.shape == ()
    assert result.n_tokens == 11  # 5 + 2 + 4
    z_changed = z.clone()
    z_changed[targets == 0] = 1e6  # whatever the model predicts at padding
    torch.testing.assert_close(sequence_loss(z_changed, targets, 0, 0.1).loss, result.loss)


@pytest.mark.parametrize("sequence_loss", SEQUENCE_LOSSES)
def test_sequence_cross_entropy_smoothing_is_the_mixture_q_over_all_v_classes(sequence_loss):
    # q = (1 − ε)·onehot + ε/V on every class, the pad class (3) included, as torch's
    # label_smoothing; loss = −Σ_v q_v log p_v, averaged over the real tokens
    z, targets = _batch(pad=3)
    eps, V = 0.2, z.shape[-1]
    q = (1 - eps) * F.one_hot(targets, V).double() + eps / V
    per_token = -(q * torch.log_softmax(z, dim=-1)).sum(-1)
    expected = per_token[targets != 3].mean()
    torch.testing.assert_close(sequence_loss(z, targets, 3, eps).loss, expected)


@pytest.mark.parametrize("sequence_loss", SEQUENCE_LOSSES)
def test_sequence_cross_entropy_of_only_padding_is_zero(sequence_loss):
    z = _randn(2, 3, 4).requires_grad_()
    result = sequence_loss(z, torch.zeros(2, 3, dtype=torch.long), 0, 0.1)
    assert result.n_tokens == 0 and result.loss.item() == 0.0
    result.loss.backward()
    assert not z.grad.any()


@pytest.mark.parametrize("sequence_loss", SEQUENCE_LOSSES)
def test_sequence_cross_entropy_errors(sequence_loss):
    z, targets = _batch(pad=0)
    who = sequence_loss.__name__
    with pytest.raises(
        ValueError,
        match=rf"{who}: expected logits \(B, T, V\) and targets \(B, T\), "
        r"got \(3, 5, 7\) and \(3, 4\)",
    ):
        sequence_loss(z, targets[:, :4], 0)
    with pytest.raises(TypeError, match=rf"{who}: expected integer class ids"):
        sequence_loss(z, targets.double(), 0)
    with pytest.raises(ValueError, match=rf"{who}: expected 0 <= smoothing <= 1, got 1.5"):
        sequence_loss(z, targets, 0, smoothing=1.5)


def _weights() -> list[torch.Tensor]:
    return [_randn(4, 3, seed=1).requires_grad_(), _randn(2, 4, seed=2).requires_grad_()]


def test_l1_penalty_is_lambda_times_sum_of_absolute_values():
    ws = _weights()
    expected = 0.3 * sum(torch.linalg.vector_norm(w.flatten(), ord=1) for w in ws)
    penalty = losses.l1_penalty(ws, lam=0.3)
    torch.testing.assert_close(penalty, expected)
    penalty.backward()
    for w in ws:
        torch.testing.assert_close(w.grad, 0.3 * torch.sign(w.detach()))


def test_l2_penalty_is_lambda_over_2m_times_squared_frobenius_norms():
    ws = _weights()
    lam, m = 0.7, 32
    expected = lam / (2 * m) * sum(torch.linalg.matrix_norm(w, ord="fro") ** 2 for w in ws)
    penalty = losses.l2_penalty(ws, lam, m)
    torch.testing.assert_close(penalty, expected)
    penalty.backward()
    for w in ws:  # the notes' weight decay: dW gains (λ/m)·W
        torch.testing.assert_close(w.grad, lam / m * w.detach())
