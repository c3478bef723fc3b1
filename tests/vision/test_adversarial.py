import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqkit.vision.adversarial import fgsm, saliency_map
from seqkit.vision.classic import LeNet5, LeNet5Config


def _linear_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(2 * 3 * 3, 4)).double()  # z = W x + b


def _images(seed=1):
    return torch.rand(3, 2, 3, 3, dtype=torch.float64,
                      generator=torch.Generator().manual_seed(seed))


def test_fgsm_moves_every_pixel_by_epsilon_along_the_analytic_gradient():
    model, x, y = _linear_model(), _images(), torch.tensor([0, 3, 1])
    x_before = x.clone()
    x_star = fgsm(model, F.cross_entropy, x, y, epsilon=0.05)
    # ∇_x mean-CE of a linear model = (softmax(z) − onehot(y)) W / B, image by image
    W, b = model[1].weight, model[1].bias
    z = x.flatten(1) @ W.T + b
    grad = ((z.softmax(-1) - F.one_hot(y, 4)) @ W / 3).view_as(x)
    torch.testing.assert_close(x_star, x + 0.05 * grad.sign())
    assert torch.equal(x, x_before)  # the caller's x is untouched
    assert all(p.grad is None for p in model.parameters())


def test_fgsm_increases_the_loss_and_respects_bounds():
    model, x, y = _linear_model(), _images(), torch.tensor([0, 3, 1])
    loss = F.cross_entropy(model(x), y)
    x_star = fgsm(model, F.cross_entropy, x, y, epsilon=0.1)
    # CE of a linear model is convex in x: J(x*) ≥ J(x) + ε‖∇J‖₁ > J(x)
    assert F.cross_entropy(model(x_star), y) > loss
    clipped = fgsm(model, F.cross_entropy, x, y, epsilon=0.5, bounds=(0.0, 1.0))
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0
    torch.testing.assert_close(fgsm(model, F.cross_entropy, x, y, epsilon=0.0), x)
    with pytest.raises(ValueError, match="fgsm: expected ε ≥ 0, got -1"):
        fgsm(model, F.cross_entropy, x, y, epsilon=-1)


def test_saliency_of_a_linear_model_is_its_weights():
    model, x = _linear_model(), _images()
    target = torch.tensor([2, 0, 2])
    M = saliency_map(model, x, target)
    assert M.shape == (3, 3, 3)
    W = model[1].weight.detach().view(4, 2, 3, 3)  # ∂z_c/∂x = W_c, the same for every image
    for i, c in enumerate(target.tolist()):
        torch.testing.assert_close(M[i], W[c].abs().amax(dim=0))
    assert all(p.grad is None for p in model.parameters())


def test_saliency_of_a_convnet_sees_only_its_own_image():
    torch.manual_seed(0)
    model = LeNet5(LeNet5Config(in_channels=1, image_size=28)).double().eval()
    x = torch.randn(2, 1, 28, 28, dtype=torch.float64)
    together = saliency_map(model, x, torch.tensor([3, 7]))
    alone = saliency_map(model, x[1:], torch.tensor([7]))
    torch.testing.assert_close(together[1:], alone)
    with pytest.raises(ValueError, match=r"saliency_map: expected images \(B, C, H, W\) and"):
        saliency_map(model, x, torch.tensor([3]))
