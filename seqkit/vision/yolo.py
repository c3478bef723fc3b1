"""The YOLO loss as the notes write it ("YOLO LOSS !!!"), on the anchor-box label of
``detection.yolo_targets``.

    L = λ_coord Σ_i Σ_j 1^obj_ij [(x_i − x̂_i)² + (y_i − ŷ_i)²]
      + λ_coord Σ_i Σ_j 1^obj_ij [(√w_i − √ŵ_i)² + (√h_i − √ĥ_i)²]
      +         Σ_i Σ_j 1^obj_ij (C_i − Ĉ_i)²
      + λ_noobj Σ_i Σ_j 1^noobj_ij (C_i − Ĉ_i)²
      +         Σ_i Σ_j 1^obj_ij Σ_c (p_i(c) − p̂_i(c))²

over the S·S cells i and the A boxes j of each cell. 1^obj_ij = 1 when box j of cell i is
responsible for an object (the label's p_c), 1^noobj_ij = 1 − 1^obj_ij. The square roots make an
error of a few pixels count more on a small box than on a large one; λ_coord = 5 and
λ_noobj = 0.5 (Redmon et al. 2016; the notes' λ_0 and λ_no_obj) weigh the many empty boxes down.

Note:
    The notes' YOLO (v1) predicts one class vector per cell, [c_1 … c_20, p_c1, x, y, w, h,
    p_c2, x, y, w, h], and makes responsible the box with the highest IoU with the object. With
    anchor boxes (the notes' 3 × 3 × 2 × 8 label) each box has its own class vector and the box
    is chosen by its anchor when the label is built, so the class term runs over 1^obj_ij. The
    confidence target C is the label's p_c = 1 (v1 used the IoU of the predicted box).
"""

from torch import Tensor


def _sqrt(v: Tensor) -> Tensor:
    # a prediction ŵ ≤ 0 has no square root; clamping keeps the loss and its gradient finite
    # (zero gradient below 1e-9), so a network should emit w, h through exp or a sigmoid.
    return v.clamp(min=1e-9).sqrt()


def yolo_loss(
    y_hat: Tensor, y: Tensor, lambda_coord: float = 5.0, lambda_noobj: float = 0.5
) -> Tensor:
    """The notes' YOLO loss L, summed over cells and boxes, averaged over the batch.

    Both tensors hold [p_c, b_x, b_y, b_w, b_h, c_1 … c_C] per box (see
    ``detection.yolo_targets``); ŷ's p_c and class scores are probabilities (after sigmoid or
    softmax), as the notes' squared errors assume.

    Shapes: y_hat, y (B, S, S, A, 5 + C) → ().
    """
    if y_hat.shape != y.shape or y.dim() != 5 or y.shape[-1] < 6:
        raise ValueError(
            "yolo_loss: expected prediction and label of one shape (B, S, S, A, 5 + C), got "
            f"{tuple(y_hat.shape)} and {tuple(y.shape)}"
        )
    obj = y[..., 0]  # 1^obj_ij (B, S, S, A)
    noobj = 1.0 - obj
    xy = ((y[..., 1:3] - y_hat[..., 1:3]) ** 2).sum(-1)
    wh = ((_sqrt(y[..., 3:5]) - _sqrt(y_hat[..., 3:5])) ** 2).sum(-1)
    confidence = (y[..., 0] - y_hat[..., 0]) ** 2
    classes = ((y[..., 5:] - y_hat[..., 5:]) ** 2).sum(-1)
    per_box = (obj * (lambda_coord * (xy + wh) + confidence + classes)
               + lambda_noobj * noobj * confidence)  # (B, S, S, A)
    return per_box.sum() / y.shape[0]
