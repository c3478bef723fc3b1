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
    torch.testing.assert_close(x1.grad, x2.grad, rtol=1e-12, atol=1e-14)


def test_binary_cross_entropy_from_probabilities_matches_torch():
    y_hat = torch.rand(5, 3, generator=_gen(0), dtype=torch.float64) * 0.98 + 0.01
    y = (torch.rand(5, 3, generator=_gen(1)) < 0.5).double()
    _assert_same_value_and_grad(losses.binary_cross_entropy, F.binary_cross_entropy, y_hat, y)


def test_binary_cross_entropy_clamps_log_like_torch():
    y_hat = torch.tensor([0.0, 1.0], dtype=torch.float64)
    y = torch.tensor([1.0, 0.0], dtype=torch.float64)
    assert (
        losses.binary_cross_entropy(y_hat, y).item()
        == 100.0
        == F.binary_cross_entropy(y_hat, y).item()
    )


def test_binary_cross_entropy_with_logits_matches_torch_and_is_stable():
    z = _randn(4, 6) * 5
    z[0, :3] = torch.tensor([1000.0, -1000.0, 0.0])
    y = (torch.rand(4, 6, generator=_gen(1)) < 0.5).double()
    _assert_same_value_and_grad(
        losses.binary_cross_entropy_with_logits, F.binary_cross_entropy_with_logits, z, y
    )
    # the notes' dz = a − y, averaged over the m entries
    z = z.requires_grad_()
    losses.binary_cross_entropy_with_logits(z, y).backward()
    torch.testing.assert_close(z.grad, (torch.sigmoid(z) - y).detach() / y.numel())


def test_categorical_cross_entropy_matches_torch():
    z = _randn(7, 5)
    targets = torch.tensor([0, 4, 2, 2, 1, 3, 0])
    _assert_same_value_and_grad(losses.categorical_cross_entropy, F.cross_entropy, z, targets)
    huge = torch.tensor([[1000.0, 0.0, -1000.0]])
    assert math.isfinite(losses.categorical_cross_entropy(huge, torch.tensor([2])).item())


def test_mse_matches_torch():
    _assert_same_value_and_grad(losses.mse, F.mse_loss, _randn(4, 3), _randn(4, 3, seed=1))


def test_loss_input_errors():
    with pytest.raises(ValueError, match=r"mse: expected targets of shape \(4, 3\), got \(3, 4\)"):
        losses.mse(torch.zeros(4, 3), torch.zeros(3, 4))
    with pytest.raises(
        TypeError,
        match=r"categorical_cross_entropy: expected integer class ids .* got torch.float32",
    ):
        losses.categorical_cross_entropy(torch.zeros(2, 3), torch.zeros(2))
    with pytest.raises(
        ValueError, match=r"categorical_cross_entropy: expected logits \(B, V\) and targets \(B,\)"
    ):
        losses.categorical_cross_entropy(torch.zeros(2, 3), torch.zeros(3, dtype=torch.long))


PAD = 0


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    z = _randn(3, 5, 7)  # (B, T, V)
    targets = torch.tensor([[4, 2, 6, 1, 3], [5, 3, 0, 0, 0], [1, 6, 2, 2, 0]])  # (B, T), PAD = 0
    return z, targets


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.4, 1.0])
def test_sequence_cross_entropy_equals_torch_with_ignore_index_and_label_smoothing(smoothing):
    z, targets = _batch()
    V = z.shape[-1]

    def ours(z, targets):
        return losses.sequence_cross_entropy(z, targets, PAD, smoothing).loss

    def oracle(z, targets):
        return F.cross_entropy(
            z.view(-1, V), targets.view(-1), ignore_index=PAD, label_smoothing=smoothing
        )

    _assert_same_value_and_grad(ours, oracle, z, targets)


def test_sequence_cross_entropy_counts_real_tokens_and_ignores_padded_logits():
    z, targets = _batch()
    result = losses.sequence_cross_entropy(z, targets, PAD, smoothing=0.1)
    assert isinstance(result, losses.SequenceLoss)
    assert result.loss.shape == ()
    assert result.n_tokens == 11  # 5 + 2 + 4
    z_changed = z.clone()
    z_changed[targets == PAD] = 1e6  # whatever the model predicts at padding
    torch.testing.assert_close(
        losses.sequence_cross_entropy(z_changed, targets, PAD, 0.1).loss, result.loss
    )


def test_sequence_cross_entropy_smoothing_is_the_mixture_q():
    # q = (1 − ε)·onehot + ε/V, loss = −Σ_v q_v log p_v, averaged over the real tokens
    z, targets = _batch()
    eps, V = 0.2, z.shape[-1]
    q = (1 - eps) * F.one_hot(targets, V).double() + eps / V
    per_token = -(q * torch.log_softmax(z, dim=-1)).sum(-1)
    real = targets != PAD
    expected = per_token[real].mean()
    torch.testing.assert_close(losses.sequence_cross_entropy(z, targets, PAD, eps).loss, expected)


def test_sequence_cross_entropy_of_only_padding_is_zero():
    z = _randn(2, 3, 4).requires_grad_()
    result = losses.sequence_cross_entropy(z, torch.zeros(2, 3, dtype=torch.long), PAD)
    assert result.n_tokens == 0 and result.loss.item() == 0.0
    result.loss.backward()
    assert not z.grad.any()


def test_sequence_cross_entropy_errors():
    z, targets = _batch()
    with pytest.raises(
        ValueError,
        match=r"sequence_cross_entropy: expected logits \(B, T, V\) and targets \(B, T\), "
        r"got \(3, 5, 7\) and \(3, 4\)",
    ):
        losses.sequence_cross_entropy(z, targets[:, :4], PAD)
    with pytest.raises(TypeError, match=r"sequence_cross_entropy: expected integer class ids"):
        losses.sequence_cross_entropy(z, targets.double(), PAD)
    with pytest.raises(
        ValueError, match=r"sequence_cross_entropy: expected 0 <= smoothing <= 1, got 1.5"
    ):
        losses.sequence_cross_entropy(z, targets, PAD, smoothing=1.5)


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
