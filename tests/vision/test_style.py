import pytest
import torch

from seqkit.vision.style import (
    content_cost,
    gram_matrix,
    style_cost,
    style_layer_cost,
    total_cost,
)


def _randn(*shape, seed=0):
    return torch.randn(*shape, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def test_gram_matrix_is_the_notes_double_sum():
    a = _randn(2, 3, 4, 5)  # (B, n_C, n_H, n_W)
    G = gram_matrix(a)
    assert G.shape == (2, 3, 3)
    for b in range(2):
        for k in range(3):
            for k2 in range(3):
                expected = sum(a[b, k, i, j] * a[b, k2, i, j] for i in range(4) for j in range(5))
                torch.testing.assert_close(G[b, k, k2], expected)
    torch.testing.assert_close(G, G.transpose(1, 2))


def test_content_cost_is_half_the_squared_distance():
    a_C, a_G = _randn(2, 3, 4, 4, seed=1), _randn(2, 3, 4, 4, seed=2)
    expected = torch.stack([0.5 * torch.sum((a_C[b] - a_G[b]) ** 2) for b in range(2)])
    torch.testing.assert_close(content_cost(a_C, a_G), expected)
    assert not content_cost(a_C, a_C).any()


def test_style_layer_cost_normalisation():
    a_S, a_G = _randn(1, 2, 3, 4, seed=3), _randn(1, 2, 3, 4, seed=4)
    n_H, n_W, n_C = 3, 4, 2
    diff = sum((gram_matrix(a_S)[0, k, k2] - gram_matrix(a_G)[0, k, k2]) ** 2
               for k in range(n_C) for k2 in range(n_C))
    torch.testing.assert_close(style_layer_cost(a_S, a_G)[0],
                               diff / (2 * n_H * n_W * n_C) ** 2)
    # style ignores where things are: shuffling positions keeps the Gram matrix
    shuffled = a_S.flatten(2)[..., torch.randperm(12)].view_as(a_S)
    torch.testing.assert_close(style_layer_cost(a_S, shuffled), torch.zeros(1, dtype=a_S.dtype))


def test_style_cost_weights_layers_and_gradient_descent_on_G_lowers_J():
    a_C = _randn(1, 2, 4, 4, seed=5)
    a_S = [_randn(1, 2, 4, 4, seed=6), _randn(1, 3, 2, 2, seed=7)]
    G = _randn(1, 2, 4, 4, seed=8).requires_grad_()

    def J():  # a toy "network": layer 1 is G itself, layer 2 a pooled, widened G
        layer2 = torch.cat([G[:, :, ::2, ::2], G[:, :1, 1::2, 1::2]], dim=1)
        j_style = style_cost(a_S, [G, layer2], [0.5, 0.5])
        return total_cost(content_cost(a_C, G), j_style).sum()

    layers = [G.detach(), torch.cat([G[:, :, ::2, ::2], G[:, :1, 1::2, 1::2]], 1).detach()]
    torch.testing.assert_close(
        style_cost(a_S, layers, [0.5, 2.0]),
        0.5 * style_layer_cost(a_S[0], layers[0]) + 2.0 * style_layer_cost(a_S[1], layers[1]))
    before = J()
    (grad,) = torch.autograd.grad(before, G)
    with torch.no_grad():
        G -= 1e-3 * grad  # notes: G ← G − ∂J(G)/∂G
    assert J() < before


def test_errors():
    with pytest.raises(ValueError, match=r"content_cost: expected two activations of one shape"):
        content_cost(torch.zeros(1, 2, 3, 3), torch.zeros(1, 2, 3, 4))
    with pytest.raises(ValueError, match="style_cost: expected one λ per layer"):
        style_cost([torch.zeros(1, 2, 3, 3)], [torch.zeros(1, 2, 3, 3)], [])
