import itertools
import math

import pytest
import torch

from seqkit.vision.detection import (
    assign_anchors,
    corners,
    iou,
    non_max_suppression,
    yolo_targets,
)


def _boxes(rows):
    return torch.tensor(rows, dtype=torch.float64)


def test_iou_hand_worked():
    a = _boxes([[0, 0, 2, 2]])
    b = _boxes([[1, 1, 3, 3], [0, 0, 2, 2], [2, 0, 4, 2], [5, 5, 6, 6], [0, 0, 1, 1]])
    # overlap 1×1 = 1, union 4 + 4 − 1 = 7; identical; touching edge; apart; inside (1/4)
    torch.testing.assert_close(iou(a, b), _boxes([[1 / 7, 1.0, 0.0, 0.0, 0.25]]))
    assert iou(b, a).shape == (5, 1)


def test_iou_of_pixel_boxes_equals_counting_pixels():
    g = torch.Generator().manual_seed(0)
    xy = torch.randint(0, 8, (6, 2), generator=g)
    wh = torch.randint(1, 6, (6, 2), generator=g)
    boxes = torch.cat([xy, xy + wh], 1)  # integer pixel boxes

    def pixels(box):  # the set of unit squares a box covers: brute-force areas
        x1, y1, x2, y2 = (int(v) for v in box)
        return {(x, y) for x in range(x1, x2) for y in range(y1, y2)}

    expected = torch.tensor([[len(pixels(p) & pixels(q)) / len(pixels(p) | pixels(q))
                              for q in boxes] for p in boxes])
    torch.testing.assert_close(iou(boxes, boxes), expected)  # integer boxes give float IoU


def test_zero_area_boxes_have_iou_zero_and_corners_from_midpoints():
    point = _boxes([[1, 1, 1, 1]])
    assert iou(point, point).item() == 0.0
    torch.testing.assert_close(corners(_boxes([[0.5, 0.5, 0.2, 0.4]])),
                               _boxes([[0.4, 0.3, 0.6, 0.7]]))


def test_nms_hand_worked_two_cars():
    # two cars, each detected by several overlapping boxes (notes: "multiple detections")
    boxes = _boxes([[0, 0, 10, 10], [1, 1, 11, 11], [0, 1, 10, 11],  # car 1
                    [20, 20, 30, 30], [21, 20, 31, 30],  # car 2
                    [40, 40, 50, 50]])  # a lone weak box
    p_c = _boxes([0.9, 0.8, 0.7, 0.6, 0.85, 0.3])
    kept = non_max_suppression(boxes, p_c, p_threshold=0.5, iou_threshold=0.5)
    assert kept.tolist() == [0, 4]  # the best of each car; the 0.3 box is below p_threshold
    assert non_max_suppression(boxes, p_c, p_threshold=0.95).numel() == 0


def _brute_force_nms(boxes, p_c, p_threshold, iou_threshold):
    """The subset S of boxes above threshold in which a box is kept iff no kept box of higher
    p_c overlaps it by IoU ≥ threshold (the definition of greedy NMS), found by trying all."""
    candidates = [i for i in range(len(p_c)) if p_c[i] > p_threshold]
    overlaps = iou(boxes, boxes) >= iou_threshold
    for r in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, r):
            if all((i in subset) == (not any(overlaps[i, k] and p_c[k] > p_c[i] for k in subset))
                   for i in candidates):
                return sorted(subset, key=lambda i: -p_c[i])
    raise AssertionError("no consistent subset")


@pytest.mark.parametrize("seed", range(4))
def test_nms_equals_brute_force_on_random_boxes(seed):
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(8, 2, generator=g, dtype=torch.float64) * 4
    boxes = torch.cat([xy, xy + 1 + torch.rand(8, 2, generator=g, dtype=torch.float64) * 2], 1)
    p_c = torch.rand(8, generator=g, dtype=torch.float64)
    kept = non_max_suppression(boxes, p_c, p_threshold=0.2, iou_threshold=0.3)
    assert kept.tolist() == _brute_force_nms(boxes, p_c.tolist(), 0.2, 0.3)


def test_nms_per_class_lets_different_classes_overlap():
    boxes = _boxes([[0, 0, 10, 10], [0, 0, 10, 10], [1, 0, 10, 10]])
    p_c = _boxes([0.9, 0.8, 0.7])
    assert non_max_suppression(boxes, p_c).tolist() == [0]
    kept = non_max_suppression(boxes, p_c, classes=torch.tensor([0, 1, 0]))
    assert kept.tolist() == [0, 1]  # box 2 is class 0 and overlaps box 0


def test_anchor_assignment_by_shape_and_cell():
    anchors = _boxes([[0.1, 0.3], [0.3, 0.1]])  # notes: one tall, one wide anchor box
    objects = _boxes([[0.5, 0.5, 0.08, 0.25],  # a pedestrian (tall) in the middle cell
                      [0.9, 0.2, 0.35, 0.12],  # a car (wide), top-right cell
                      [1.0, 1.0, 0.1, 0.1]])  # midpoint on the far corner: last cell
    rows, cols, anchor = assign_anchors(objects, anchors, S=3)
    assert rows.tolist() == [1, 0, 2] and cols.tolist() == [1, 2, 2]
    assert anchor.tolist()[:2] == [0, 1]


def test_yolo_targets_notes_3x3x2x8_label():
    anchors = _boxes([[0.1, 0.3], [0.3, 0.1]])
    objects = _boxes([[0.5, 0.5, 0.08, 0.25], [0.45, 0.6, 0.3, 0.1]])  # both in the middle cell
    y = yolo_targets(objects, torch.tensor([0, 1]), anchors, S=3, num_classes=3)
    assert y.shape == (3, 3, 2, 8)
    # notes' y for this cell: [p_c, b_x, b_y, b_w, b_h, c1, c2, c3] per anchor; b_x, b_y in cells
    torch.testing.assert_close(y[1, 1, 0], _boxes([1, 0.5, 0.5, 0.08, 0.25, 1, 0, 0]))
    torch.testing.assert_close(y[1, 1, 1], _boxes([1, 0.35, 0.8, 0.3, 0.1, 0, 1, 0]))
    assert y[..., 0].sum() == 2 and not y[0].any() and not y[2].any()


def test_yolo_targets_refuse_what_they_cannot_encode():
    anchors = _boxes([[0.1, 0.3]])
    two_in_one_slot = _boxes([[0.5, 0.5, 0.1, 0.3], [0.45, 0.55, 0.1, 0.2]])
    with pytest.raises(ValueError, match="two objects share a grid cell and an anchor box"):
        yolo_targets(two_in_one_slot, torch.tensor([0, 0]), anchors, S=3, num_classes=2)
    with pytest.raises(ValueError, match=r"expected 1 class ids in \[0, 2\), got \[2\]"):
        yolo_targets(two_in_one_slot[:1], torch.tensor([2]), anchors, S=3, num_classes=2)


def test_errors():
    with pytest.raises(ValueError, match=r"iou: expected boxes of shape \(N, 4\), got \(4,\)"):
        iou(torch.zeros(4), torch.zeros(1, 4))
    with pytest.raises(ValueError, match=r"non_max_suppression: expected p_c .* of shape \(2,\)"):
        non_max_suppression(torch.zeros(2, 4), torch.zeros(3))
    with pytest.raises(ValueError, match=r"assign_anchors: expected anchors \(A, 2\)"):
        assign_anchors(torch.zeros(1, 4), torch.zeros(2, 4), 3)
    assert math.isclose(float(iou(_boxes([[0, 0, 1, 1]]), _boxes([[0, 0, 2, 1]]))), 0.5)
