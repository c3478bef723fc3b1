import pytest
import torch

from seqkit.vision.evaluation import (
    Counts,
    DetectionStats,
    average_precision,
    match_detections,
)


def _t(rows, dtype=torch.float64):
    return torch.tensor(rows, dtype=dtype)


@pytest.mark.parametrize(("counts", "precision", "recall", "f1"), [
    (Counts(8, 2, 4), 0.8, 8 / 12, 2 * 0.8 * (8 / 12) / (0.8 + 8 / 12)),
    (Counts(0, 0, 5), 0.0, 0.0, 0.0),  # nothing predicted
    (Counts(0, 3, 0), 0.0, 0.0, 0.0),  # nothing to find
    (Counts(5, 0, 0), 1.0, 1.0, 1.0),
])
def test_precision_recall_f1_hand_worked(counts, precision, recall, f1):
    assert counts.precision == pytest.approx(precision)
    assert counts.recall == pytest.approx(recall)
    assert counts.f1 == pytest.approx(f1)


def test_counts_add():
    assert Counts(1, 2, 3) + Counts(4, 5, 6) == Counts(5, 7, 9)


def test_average_precision_worked_example():
    # ranks T F T F T over 3 objects: AP = 1/3·1 + 1/3·2/3 + 1/3·3/5 = 34/45
    scores = _t([0.9, 0.8, 0.7, 0.6, 0.5])
    is_tp = torch.tensor([True, False, True, False, True])
    assert average_precision(scores, is_tp, 3) == pytest.approx(34 / 45)
    # order comes from the scores, not from the input order
    perm = torch.tensor([3, 0, 4, 2, 1])
    assert average_precision(scores[perm], is_tp[perm], 3) == pytest.approx(34 / 45)
    # a missed object caps recall at 3/4: AP = 34/45 · 3/4
    assert average_precision(scores, is_tp, 4) == pytest.approx(34 / 45 * 3 / 4)
    assert average_precision(scores, is_tp, 0) == 0.0


def _ap_brute_force(scores, is_tp, n_truth):
    """Σ over each recall level reached of (1/n_truth) · best precision at that rank or later."""
    ranked = [hit for _, hit in sorted(zip(scores, is_tp, strict=True), key=lambda p: -p[0])]
    precisions = [sum(ranked[: n + 1]) / (n + 1) for n in range(len(ranked))]
    return sum(max(precisions[n:]) / n_truth for n in range(len(ranked)) if ranked[n])


@pytest.mark.parametrize("seed", range(3))
def test_average_precision_equals_brute_force(seed):
    g = torch.Generator().manual_seed(seed)
    scores = torch.rand(12, generator=g, dtype=torch.float64)
    is_tp = torch.rand(12, generator=g) < 0.5
    n_truth = int(is_tp.sum()) + 2
    assert average_precision(scores, is_tp, n_truth) == pytest.approx(
        _ap_brute_force(scores.tolist(), is_tp.tolist(), n_truth))


def test_match_detections_duplicate_is_a_false_positive():
    truth = _t([[0, 0, 10, 10], [20, 20, 30, 30]])
    boxes = _t([[1, 1, 10, 10], [0, 0, 10, 9], [20, 20, 29, 30], [50, 50, 60, 60]])
    scores = _t([0.6, 0.9, 0.8, 0.7])
    # box 1 (0.9) takes object 0 first, so box 0 (0.6) on the same object is a duplicate;
    # box 3 overlaps nothing
    assert match_detections(boxes, scores, truth).tolist() == [False, True, True, False]
    assert match_detections(boxes, scores, truth[:0]).tolist() == [False] * 4


def test_mean_average_precision_pools_images_per_class():
    stats = DetectionStats(iou_threshold=0.5)
    box = _t([[0, 0, 10, 10]])
    # image 1: class 0 found (0.9); class 1 object missed, a class 1 false alarm (0.8)
    stats.add(_t([[0, 0, 10, 10], [30, 30, 40, 40]]), _t([0.9, 0.8]), torch.tensor([0, 1]),
              _t([[0, 0, 10, 10], [60, 60, 70, 70]]), torch.tensor([0, 1]))
    # image 2: class 1 found (0.7)
    stats.add(box, _t([0.7]), torch.tensor([1]), box, torch.tensor([1]))
    result = stats.score()
    # class 0: AP 1. class 1: ranked F (0.8), T (0.7) over 2 objects: 1/2·1/2 = 1/4
    assert result.ap == pytest.approx({0: 1.0, 1: 0.25})
    assert result.score == pytest.approx(0.625)
    assert result.counts == Counts(tp=2, fp=1, fn=1)
    assert result.signature == "mAP|iou:0.5|interp:all-points|classes:2"
    assert str(result).startswith("mAP = 62.50 (AP per class 0:100.00 1:25.00; P = 0.6667")


def test_detection_stats_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"DetectionStats\.add: expected as many scores"):
        DetectionStats().add(torch.zeros(2, 4), torch.zeros(1), torch.zeros(2),
                             torch.zeros(0, 4), torch.zeros(0))
