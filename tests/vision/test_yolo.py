import math

import pytest
import torch

from seqkit.vision.yolo import yolo_loss


def _loss_as_the_notes(y_hat, y, l_coord=5.0, l_noobj=0.5):
    """The notes' five sums, written out cell by cell and box by box with Python floats."""
    total = 0.0
    B, S, _, A, _ = y.shape
    for b in range(B):
        for i in range(S * S):
            r, c = divmod(i, S)
            for j in range(A):
                t, p = y[b, r, c, j].tolist(), y_hat[b, r, c, j].tolist()
                if t[0] == 1:
                    total += l_coord * ((t[1] - p[1]) ** 2 + (t[2] - p[2]) ** 2)
                    total += l_coord * ((math.sqrt(t[3]) - math.sqrt(p[3])) ** 2
                                        + (math.sqrt(t[4]) - math.sqrt(p[4])) ** 2)
                    total += (t[0] - p[0]) ** 2
                    total += sum((tc - pc) ** 2 for tc, pc in zip(t[5:], p[5:], strict=True))
                else:
                    total += l_noobj * (t[0] - p[0]) ** 2
    return total / B


def test_hand_worked_one_cell():
    # label: an object of class 1 of 1, centred in the cell, 0.36 × 0.09 of the image
    y = torch.tensor([1, 0.5, 0.5, 0.36, 0.09, 1.0], dtype=torch.float64).view(1, 1, 1, 1, 6)
    y_hat = torch.tensor([0.8, 0.5, 0.5, 0.25, 0.16, 0.9], dtype=torch.float64).view(1, 1, 1, 1, 6)
    # 5·[(0.6 − 0.5)² + (0.3 − 0.4)²] + (1 − 0.8)² + (1 − 0.9)² = 0.1 + 0.04 + 0.01
    assert math.isclose(yolo_loss(y_hat, y).item(), 0.15)
    # the same prediction where there is no object: only λ_noobj·(0 − 0.8)² counts
    assert math.isclose(yolo_loss(y_hat, torch.zeros_like(y)).item(), 0.5 * 0.64)


def test_equals_the_notes_sums_on_a_random_batch_and_has_a_finite_gradient():
    g = torch.Generator().manual_seed(0)
    B, S, A, C = 2, 3, 2, 3
    y_hat = torch.rand(B, S, S, A, 5 + C, generator=g, dtype=torch.float64).requires_grad_()
    y = torch.zeros(B, S, S, A, 5 + C, dtype=torch.float64)
    for b, r, c, j, cls in [(0, 1, 1, 0, 2), (0, 2, 0, 1, 0), (1, 0, 2, 1, 1)]:
        y[b, r, c, j, :5] = torch.rand(5, generator=g, dtype=torch.float64) * 0.8 + 0.1
        y[b, r, c, j, 0] = 1.0
        y[b, r, c, j, 5 + cls] = 1.0
    loss = yolo_loss(y_hat, y)
    assert math.isclose(loss.item(), _loss_as_the_notes(y_hat.detach(), y), rel_tol=1e-12)
    loss_weighted = yolo_loss(y_hat, y, lambda_coord=1.0, lambda_noobj=2.0).item()
    assert math.isclose(loss_weighted, _loss_as_the_notes(y_hat.detach(), y, 1.0, 2.0),
                        rel_tol=1e-12)
    loss.backward()
    assert torch.isfinite(y_hat.grad).all()


def test_a_negative_predicted_width_keeps_the_gradient_finite():
    y = torch.tensor([1, 0.5, 0.5, 0.3, 0.3, 1.0]).view(1, 1, 1, 1, 6)
    y_hat = torch.tensor([0.5, 0.5, 0.5, -0.2, 0.0, 1.0]).view(1, 1, 1, 1, 6).requires_grad_()
    yolo_loss(y_hat, y).backward()
    assert torch.isfinite(y_hat.grad).all()


def test_shape_errors():
    with pytest.raises(ValueError, match=r"yolo_loss: expected prediction and label of one shape"):
        yolo_loss(torch.zeros(1, 3, 3, 2, 8), torch.zeros(1, 3, 3, 2, 7))
