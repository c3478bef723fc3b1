"""Object detection utilities from the notes: boxes, IoU, non-max suppression, anchor boxes.

Boxes are (x1, y1, x2, y2) corners unless said otherwise; the YOLO label holds the midpoint form
(b_x, b_y, b_w, b_h). Coordinates are fractions of the image (0 top/left, 1 bottom/right), so a
grid of S × S cells has cell (row, col) = (⌊b_y·S⌋, ⌊b_x·S⌋).
Shape symbols: N, M numbers of boxes, S grid size, A anchor boxes per cell, C classes.
"""

from typing import NamedTuple

import torch
from torch import Tensor


def _check_boxes(boxes: Tensor, who: str) -> None:
    if boxes.dim() != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{who}: expected boxes of shape (N, 4), got {tuple(boxes.shape)}")


def corners(boxes: Tensor) -> Tensor:
    """Midpoint form (b_x, b_y, b_w, b_h) → corners (x1, y1, x2, y2). Shapes: (N*, 4) → (N*, 4)."""
    b_xy, b_wh = boxes[..., :2], boxes[..., 2:]
    return torch.cat([b_xy - b_wh / 2, b_xy + b_wh / 2], dim=-1)


def iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Intersection over union of every pair (notes: size of intersection / size of union).

    A detection counts as "correct" when IoU ≥ 0.5 (notes). Two boxes that touch, or a pair of
    zero-area boxes, have IoU 0. Shapes: boxes1 (N, 4), boxes2 (M, 4) corners → (N, M).
    """
    _check_boxes(boxes1, "iou")
    _check_boxes(boxes2, "iou")
    a, b = boxes1[:, None, :], boxes2[None, :, :]  # (N, 1, 4), (1, M, 4)
    top_left = torch.maximum(a[..., :2], b[..., :2])  # (N, M, 2) of the intersection
    bottom_right = torch.minimum(a[..., 2:], b[..., 2:])
    size = (bottom_right - top_left).clamp(min=0)  # no overlap → width or height 0
    intersection = size[..., 0] * size[..., 1]  # (N, M)

    def area(box: Tensor) -> Tensor:
        return (box[..., 2] - box[..., 0]) * (box[..., 3] - box[..., 1])

    union = area(a) + area(b) - intersection
    positive = union > 0
    ratio = intersection / torch.where(positive, union, torch.ones_like(union))  # no 0/0
    return torch.where(positive, ratio, torch.zeros_like(ratio))


def non_max_suppression(
    boxes: Tensor, p_c: Tensor, p_threshold: float = 0.6, iou_threshold: float = 0.5,
    classes: Tensor | None = None,
) -> Tensor:
    """Keep one box per object (notes, "Non-max suppression"):

    1. discard every box with p_c ≤ ``p_threshold``;
    2. while boxes remain: output the one with the largest p_c and discard every remaining box
       whose IoU with it is ≥ ``iou_threshold``.

    With ``classes``, boxes of different classes never suppress each other (NMS run once per
    class). Note: the notes' handwriting reads the threshold as 0.1; 0.6 is the lecture's.

    Shapes: boxes (N, 4) corners, p_c (N,), classes (N,) → kept indices (K,), by falling p_c.
    """
    _check_boxes(boxes, "non_max_suppression")
    if p_c.shape != boxes.shape[:1] or (classes is not None and classes.shape != p_c.shape):
        raise ValueError(
            f"non_max_suppression: expected p_c (and classes) of shape ({boxes.shape[0]},), got "
            f"{tuple(p_c.shape)}" + ("" if classes is None else f" and {tuple(classes.shape)}")
        )
    order = torch.argsort(p_c, descending=True, stable=True)
    order = order[p_c[order] > p_threshold]  # step 1
    overlap = iou(boxes[order], boxes[order]) >= iou_threshold  # (n, n)
    if classes is not None:
        same_class = classes[order][:, None] == classes[order][None, :]
        overlap &= same_class
    suppressed = torch.zeros(len(order), dtype=torch.bool, device=boxes.device)
    kept = []
    for k in range(len(order)):  # step 2, in order of falling p_c
        if suppressed[k]:
            continue
        kept.append(k)
        suppressed |= overlap[k]
    return order[torch.tensor(kept, dtype=torch.long, device=boxes.device)]


class AnchorAssignment(NamedTuple):
    """Where each object goes in the YOLO label: its grid cell and its anchor box."""

    row: Tensor  # (N,) ⌊b_y·S⌋, the cell holding the object's midpoint
    col: Tensor  # (N,) ⌊b_x·S⌋
    anchor: Tensor  # (N,) index of the anchor box whose shape has the highest IoU with the object


def assign_anchors(boxes: Tensor, anchors: Tensor, S: int) -> AnchorAssignment:
    """Each object goes to the cell holding its midpoint and to the anchor box (a predefined
    shape, e.g. one tall and one wide) whose IoU with the object's shape is highest (notes,
    "Anchor boxes"); the shapes are compared with both boxes centred at the same point.

    Shapes: boxes (N, 4) midpoint form (b_x, b_y, b_w, b_h), anchors (A, 2) (w, h).
    """
    _check_boxes(boxes, "assign_anchors")
    if anchors.dim() != 2 or anchors.shape[1] != 2:
        raise ValueError(f"assign_anchors: expected anchors (A, 2), got {tuple(anchors.shape)}")
    centred = torch.cat([-boxes[:, 2:] / 2, boxes[:, 2:] / 2], dim=1)  # (N, 4) at the origin
    anchor_boxes = torch.cat([-anchors / 2, anchors / 2], dim=1)  # (A, 4)
    anchor = iou(centred, anchor_boxes).argmax(dim=1)  # (N,)
    # a midpoint on the image's far edge (b = 1) belongs to the last cell, not cell S
    row = (boxes[:, 1] * S).floor().long().clamp(0, S - 1)
    col = (boxes[:, 0] * S).floor().long().clamp(0, S - 1)
    return AnchorAssignment(row, col, anchor)


def yolo_targets(
    boxes: Tensor, classes: Tensor, anchors: Tensor, S: int, num_classes: int
) -> Tensor:
    """The YOLO label of one image, y (S, S, A, 5 + C) (notes: 3 × 3 × 2 × 8 for 2 anchors and
    3 classes). Each slot is [p_c, b_x, b_y, b_w, b_h, c_1 … c_C]: p_c = 1 where an object was
    assigned, b_x, b_y its midpoint relative to its cell (0…1), b_w, b_h its size relative to
    the image (notes: Δu = (u − u_s)/cell, Δw = w/image), c the one-hot class; 0 elsewhere.

    Two objects in one cell with the same anchor cannot both be encoded (the notes' "algorithm
    not good for" cases) and raise ValueError.

    Shapes: boxes (N, 4) midpoint form, classes (N,) ids, anchors (A, 2) → (S, S, A, 5 + C).
    """
    if classes.shape != boxes.shape[:1] or (
        classes.numel() and not 0 <= int(classes.min()) <= int(classes.max()) < num_classes
    ):
        raise ValueError(
            f"yolo_targets: expected {boxes.shape[0]} class ids in [0, {num_classes}), got "
            f"{classes.tolist()}"
        )
    where = assign_anchors(boxes, anchors, S)
    slots = list(zip(where.row.tolist(), where.col.tolist(), where.anchor.tolist(), strict=True))
    if len(set(slots)) < len(slots):
        raise ValueError(
            "yolo_targets: two objects share a grid cell and an anchor box (row, col, anchor) "
            f"in {slots}; use more anchors or a finer grid"
        )
    y = boxes.new_zeros(S, S, anchors.shape[0], 5 + num_classes)
    offset = torch.stack([where.col, where.row], dim=1)  # (N, 2) the cell's corner, in cells
    y[where.row, where.col, where.anchor, 0] = 1.0
    y[where.row, where.col, where.anchor, 1:3] = boxes[:, :2] * S - offset
    y[where.row, where.col, where.anchor, 3:5] = boxes[:, 2:]
    y[where.row, where.col, where.anchor, 5 + classes.long()] = 1.0
    return y
