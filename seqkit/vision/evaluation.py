"""Precision, recall, F1 and mean average precision (notes, "Mean Average Precision (mAP)"),
from additive sufficient statistics.

    Precision = TP / (TP + FP),   Recall = TP / (TP + FN),   F1 = 2·P·R / (P + R)
    mAP = 1/n Σ_k AP_k   over the n classes k that have ground truth

A detection is a true positive when its IoU with a not-yet-matched ground-truth box of its class
is ≥ the threshold (notes: "correct" if IoU ≥ 0.5); detections are matched in order of falling
score, each to the box it overlaps most (the PASCAL VOC rule), so a second detection of an
already-found object is a false positive. AP_k is the area under class k's precision–recall
curve with precision made monotone (all-point interpolation, PASCAL VOC 2010 and later):

    AP = Σ_n (r_n − r_{n−1}) · max_{n' ≥ n} p_{n'}   over the ranks n of the detections.

Images are scored one at a time into :class:`DetectionStats` (per class: every detection's score
and TP flag, and the number of ground-truth boxes); the corpus score pools them, never averaging
per-image scores.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import Tensor

from seqkit.vision.detection import iou


@dataclass(frozen=True)
class Counts:
    """TP, FP, FN counts; they add, so a corpus's counts are the sum of its images'."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN); 0 when there is nothing to find."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """2·P·R / (P + R), the harmonic mean of precision and recall; 0 when both are 0."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def match_detections(
    boxes: Tensor, scores: Tensor, truth: Tensor, iou_threshold: float = 0.5
) -> Tensor:
    """TP flags of one image's detections of one class (VOC rule, see the module docstring).

    Shapes: boxes (N, 4), scores (N,), truth (M, 4) corners → is_tp (N,) bool, in input order.
    """
    is_tp = torch.zeros(len(boxes), dtype=torch.bool, device=boxes.device)
    if len(boxes) == 0 or len(truth) == 0:
        return is_tp
    overlap = iou(boxes, truth)  # (N, M)
    best_iou, best = overlap.max(dim=1)  # each detection's most-overlapped ground truth
    taken = torch.zeros(len(truth), dtype=torch.bool, device=boxes.device)
    for n in torch.argsort(scores, descending=True, stable=True).tolist():
        m = int(best[n])
        if best_iou[n] >= iou_threshold and not taken[m]:
            is_tp[n] = taken[m] = True
    return is_tp


def average_precision(scores: Tensor, is_tp: Tensor, n_truth: int) -> float:
    """All-point interpolated AP of one class from its pooled detections.

    Worked example: 3 objects, detections ranked T F T F T give precisions 1, ½, ⅔, ½, ⅗ at
    recalls ⅓, ⅓, ⅔, ⅔, 1; made monotone 1, ⅔, ⅔, ⅗, ⅗; AP = ⅓·1 + ⅓·⅔ + ⅓·⅗ = 34/45.
    Shapes: scores (N,), is_tp (N,) bool → AP ∈ [0, 1]; 0 when n_truth = 0.
    """
    if n_truth == 0 or len(scores) == 0:
        return 0.0
    order = torch.argsort(scores, descending=True, stable=True)
    tp = is_tp[order].double().cumsum(0)  # TP among the top n, (N,)
    precision = tp / torch.arange(1, len(order) + 1, dtype=torch.float64, device=tp.device)
    recall = tp / n_truth
    # max_{n' ≥ n} p_{n'}: a running maximum from the end
    monotone = precision.flip(0).cummax(0).values.flip(0)
    recall_step = torch.diff(recall, prepend=recall.new_zeros(1))  # r_n − r_{n−1}
    return float((recall_step * monotone).sum())


class MAPScore(NamedTuple):
    """Mean average precision with the per-class APs and the settings that produced it."""

    score: float  # mAP = 1/n Σ_k AP_k over the classes with ground truth, in [0, 1]
    ap: dict[int, float]  # AP_k per class k with ground truth
    counts: Counts  # pooled TP/FP/FN over every detection kept (all classes)
    signature: str  # e.g. "mAP|iou:0.5|interp:all-points|classes:3"

    def __str__(self) -> str:
        per_class = " ".join(f"{k}:{100 * v:.2f}" for k, v in sorted(self.ap.items()))
        return (f"mAP = {100 * self.score:.2f} (AP per class {per_class}; P = "
                f"{self.counts.precision:.4f} R = {self.counts.recall:.4f} F1 = "
                f"{self.counts.f1:.4f}) {self.signature}")


@dataclass
class DetectionStats:
    """Sufficient statistics of mAP, filled one image at a time with :meth:`add`."""

    iou_threshold: float = 0.5  # a detection is correct if IoU ≥ this (notes: 0.5)
    scores: dict[int, list[float]] = field(default_factory=dict)  # class → detection scores
    hits: dict[int, list[bool]] = field(default_factory=dict)  # class → TP flags, same order
    n_truth: dict[int, int] = field(default_factory=dict)  # class → ground-truth boxes

    def add(self, boxes: Tensor, scores: Tensor, classes: Tensor, truth: Tensor,
            truth_classes: Tensor) -> None:
        """One image: detections boxes (N, 4), scores (N,), classes (N,); ground truth
        truth (M, 4), truth_classes (M,). Boxes are corners."""
        if not len(boxes) == len(scores) == len(classes) or len(truth) != len(truth_classes):
            raise ValueError(
                f"DetectionStats.add: expected as many scores and classes as boxes and as many "
                f"truth classes as truth boxes, got {len(boxes)}, {len(scores)}, {len(classes)} "
                f"and {len(truth)}, {len(truth_classes)}"
            )
        for k in set(classes.tolist()) | set(truth_classes.tolist()):
            mine, theirs = classes == k, truth_classes == k
            flags = match_detections(boxes[mine], scores[mine], truth[theirs], self.iou_threshold)
            self.scores.setdefault(k, []).extend(scores[mine].tolist())
            self.hits.setdefault(k, []).extend(flags.tolist())
            self.n_truth[k] = self.n_truth.get(k, 0) + int(theirs.sum())

    def score(self) -> MAPScore:
        """The pooled mAP; classes never seen in the ground truth have no AP and are left out."""
        ap = {k: average_precision(torch.tensor(self.scores.get(k, []), dtype=torch.float64),
                                   torch.tensor(self.hits.get(k, []), dtype=torch.bool), n)
              for k, n in sorted(self.n_truth.items()) if n > 0}
        tp = sum(sum(flags) for flags in self.hits.values())
        n_detections = sum(len(flags) for flags in self.hits.values())
        counts = Counts(tp, n_detections - tp, sum(self.n_truth.values()) - tp)
        signature = f"mAP|iou:{self.iou_threshold}|interp:all-points|classes:{len(ap)}"
        return MAPScore(sum(ap.values()) / len(ap) if ap else 0.0, ap, counts, signature)
