"""Trigger detections from per-frame scores, over audio of any length, and how to score them.

A detection is a run of frames whose score ŷ<t> is at least ``threshold``; a run that starts
within ``refractory_seconds`` of the end of the previous detection is merged into it (one word
makes one detection even if ŷ dips briefly). Its score is the highest ŷ in it; its times are
those of its first frame's start and its last frame's end, frame t covering
[t · frame_seconds, (t + 1) · frame_seconds).

Scored against the true words: a word is detected by the first unmatched detection starting in
[word start, word end + max_delay_seconds]; the false-reject rate is the share of words missed,
and every detection matching no word is a false accept, counted per hour of audio. The counts
(words, misses, false accepts, seconds) add up over files: pool them, never average rates.
"""

import functools
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import torch
from torch import Tensor

from seqkit.speech.audio import SAMPLE_RATE
from seqkit.speech.features import FeatureConfig, log_mel_spectrogram, normalise

if TYPE_CHECKING:
    from seqkit.speech.trigger import TriggerWordModel


class Detection(NamedTuple):
    """One trigger detection: ``start_seconds end_seconds score``."""

    start_seconds: float
    end_seconds: float
    score: float  # max ŷ over the detection's frames

    def __str__(self) -> str:
        return f"{self.start_seconds:.2f} {self.end_seconds:.2f} {self.score:.3f}"


class StreamingDetector:
    """Turns chunks of per-frame scores into detections as soon as they are certain.

    ``push(scores)`` returns the detections that can no longer grow (their refractory period has
    passed); ``flush()`` returns the one still open at the end of the stream. Feeding a sequence
    in any chunks gives the same detections as feeding it whole.
    """

    def __init__(self, frame_seconds: float, threshold: float = 0.5,
                 refractory_seconds: float = 1.0) -> None:
        if frame_seconds <= 0 or not 0 < threshold <= 1 or refractory_seconds < 0:
            raise ValueError(f"StreamingDetector: expected frame_seconds > 0, threshold in (0, 1] "
                             f"and refractory_seconds >= 0, got {frame_seconds}, {threshold} "
                             f"and {refractory_seconds}")
        self.frame_seconds, self.threshold = frame_seconds, threshold
        self.refractory_frames = refractory_seconds / frame_seconds
        self.t = 0  # frames consumed so far
        self.open: list[float] | None = None  # [first frame, last frame, max score] or None

    def push(self, scores: Tensor | Iterable[float]) -> list[Detection]:
        """Consume scores ŷ (n,) of the next n frames; return the detections that closed."""
        done = []
        values = scores.tolist() if isinstance(scores, Tensor) else scores
        for score in values:
            # frames since the open detection ended: last + 1 … t − 1; once more than the
            # refractory period, it cannot grow any more
            if self.open is not None and self.t - self.open[1] - 1 > self.refractory_frames:
                done.append(self._close())
            if score >= self.threshold:
                if self.open is None:
                    self.open = [self.t, self.t, score]
                else:
                    self.open[1], self.open[2] = self.t, max(self.open[2], score)
            self.t += 1
        return done

    def flush(self) -> list[Detection]:
        """The detection still open at the end of the stream, if any."""
        return [self._close()] if self.open is not None else []

    def _close(self) -> Detection:
        assert self.open is not None
        first, last, score = self.open
        self.open = None
        return Detection(first * self.frame_seconds, (last + 1) * self.frame_seconds, score)


def detect(scores: Tensor, frame_seconds: float, threshold: float = 0.5,
           refractory_seconds: float = 1.0) -> list[Detection]:
    """The detections of a whole score sequence ŷ (T_y,): those a :class:`StreamingDetector`
    makes of it, found at once: the frames t_1 < t_2 < … with ŷ ≥ threshold, a new detection
    wherever t_i − t_(i−1) − 1 exceeds the refractory period in frames."""
    refractory_frames = StreamingDetector(frame_seconds, threshold,
                                          refractory_seconds).refractory_frames
    y = scores.detach().flatten().double().cpu()  # compared as the streaming detector does
    above = torch.nonzero(y >= threshold).flatten()  # t_1 < t_2 < …
    if above.numel() == 0:
        return []
    new = torch.ones_like(above, dtype=torch.bool)
    new[1:] = above[1:] - above[:-1] - 1 > refractory_frames
    last = torch.cat([new[1:], torch.tensor([True])])
    ids = new.cumsum(0) - 1  # each frame's detection
    peaks = torch.zeros(int(new.sum()), dtype=y.dtype).scatter_reduce(
        0, ids, y[above], "amax", include_self=False)
    return [Detection(first * frame_seconds, (end + 1) * frame_seconds, score)
            for first, end, score in zip(above[new].tolist(), above[last].tolist(),
                                         peaks.tolist(), strict=True)]


def lowest_threshold(scores: Tensor, frame_seconds: float, seconds: float, limit: float,
                     refractory_seconds: float = 1.0, start: float = 0.1) -> float | None:
    """The lowest threshold ≥ ``start`` at which scores ŷ (T_y,) of ``seconds`` of audio
    without the trigger give at most ``limit`` detections (false accepts) per hour; None if only
    a threshold above 1 would.

    With k the most false accepts the audio's length allows, a threshold just above the
    (k + 1)-th highest detection score leaves at most k of those detections, and no lower one
    does. A higher threshold can split a detection in two (its frames dip below it for longer
    than the refractory period), so the count is checked and the step repeated until it holds.
    """
    def found(threshold: float) -> list[float]:
        return [d.score for d in detect(scores, frame_seconds, threshold, refractory_seconds)]

    return _lowest_allowed(found, math.floor(limit * seconds / 3600 + 1e-9), start)


def _lowest_allowed(found: Callable[[float], list[float]], allowed: int,
                    start: float) -> float | None:
    """The lowest threshold ≥ ``start`` at which ``found(threshold)`` (the detection scores at
    it) holds at most ``allowed``, stepping just above the (allowed + 1)-th highest score until
    the count holds (:func:`lowest_threshold`); None if only a threshold above 1 would."""
    threshold = start
    while len(scores := found(threshold)) > allowed:
        threshold = math.nextafter(sorted(scores)[-allowed - 1], math.inf)
        if threshold > 1:
            return None
    return threshold


def score_audio(model: "TriggerWordModel", waveform: Tensor, features: FeatureConfig,
                window_seconds: float = 10.0, batch_windows: int = 16,
                hop_seconds: float | None = None) -> tuple[Tensor, float]:
    """ŷ of ``model`` for audio of any length (N,), and the seconds per output frame (T_y of a
    window from ``model.output_frames``).

    The audio is cut into windows of ``window_seconds`` (the last one zero-padded), each scored
    alone in eval mode, like the clips the model was trained on, ``batch_windows`` at a time (an
    hour at once would hold gigabytes of spectra). With ``hop_seconds`` (None: = the window) the
    windows start every hop: the first window gives its T_y scores, each later one only its last
    hop's worth of frames, heard with the (window − hop) seconds before them, so a word that
    straddles a window's edge is still heard whole by the next window (hop = window / 2 costs
    twice the scoring). The scores are concatenated and cut to the audio's length.
    """
    window = int(window_seconds * SAMPLE_RATE)
    T_y = model.output_frames(features.num_frames(window))
    frame_seconds = window_seconds / T_y
    total = max(1, round(waveform.numel() / SAMPLE_RATE / frame_seconds))
    hop = T_y if hop_seconds is None else max(1, min(T_y, round(hop_seconds / frame_seconds)))
    count = 1 + math.ceil(max(0, total - T_y) / hop)  # windows covering `total` frames
    starts = [round(k * hop * window / T_y) for k in range(count)]  # in samples
    was_training = model.training
    model.eval()
    scores = []
    with torch.no_grad():
        for i in range(0, count, batch_windows):
            pieces = [waveform[s:s + window] for s in starts[i:i + batch_windows]]
            padded = torch.stack([torch.nn.functional.pad(p, (0, window - p.numel()))
                                  for p in pieces])  # (W, window)
            x = normalise(log_mel_spectrogram(padded, features))  # (W, T, F)
            y_hat = torch.sigmoid(model(x))  # (W, T_y)
            for k, row in enumerate(y_hat, start=i):
                scores.append(row if k == 0 else row[T_y - hop:])
    model.train(was_training)
    return torch.cat(scores)[:total], frame_seconds


@dataclass(frozen=True)
class DetectionStats:
    """Additive counts behind the false-reject rate and false accepts per hour (``a + b``)."""

    words: int  # true trigger words
    misses: int  # words no detection matched
    false_accepts: int  # detections that matched no word
    seconds: float  # audio length

    def __add__(self, other: "DetectionStats") -> "DetectionStats":
        return DetectionStats(self.words + other.words, self.misses + other.misses,
                              self.false_accepts + other.false_accepts,
                              self.seconds + other.seconds)

    @property
    def false_reject_rate(self) -> float:
        """misses / words (0 with no words)."""
        return self.misses / self.words if self.words else 0.0

    @property
    def false_accepts_per_hour(self) -> float:
        return self.false_accepts / (self.seconds / 3600) if self.seconds else 0.0

    def format(self, signature: str) -> str:
        return (f"FRR = {100 * self.false_reject_rate:.2f}% ({self.misses}/{self.words}) | "
                f"FA/h = {self.false_accepts_per_hour:.2f} ({self.false_accepts} in "
                f"{self.seconds / 3600:.3f} h) | {signature}")


def detection_stats(detections: list[Detection], words: list[tuple[float, float]],
                    seconds: float, max_delay_seconds: float = 1.0) -> DetectionStats:
    """Match detections to true words (start, end) in seconds, as in the module docstring."""
    found = matches(detections, words, max_delay_seconds)
    return DetectionStats(len(words), found.count(False), len(detections) - sum(found), seconds)


def matches(detections: list[Detection], words: list[tuple[float, float]],
            max_delay_seconds: float = 1.0) -> list[bool]:
    """Whether each of ``words`` (start, end) is detected: taken in order of time, a word is
    matched by the first unmatched detection starting in [start, end + max_delay_seconds]."""
    unmatched = sorted(detections)
    found = [False] * len(words)
    for k in sorted(range(len(words)), key=lambda k: words[k]):
        start, end = words[k]
        hit = next((d for d in unmatched
                    if start <= d.start_seconds <= end + max_delay_seconds), None)
        if hit is not None:
            found[k] = True
            unmatched.remove(hit)
    return found


def bootstrap_frr(y_positive: Tensor, words: list[tuple[float, float]], y_negative: Tensor,
                  frame_seconds: float, clip_seconds: float, limits: Iterable[float],
                  refractory_seconds: float = 1.0, max_delay_seconds: float = 1.0,
                  start: float = 0.1, samples: int = 1000, seed: int = 0,
                  level: float = 0.95) -> dict[float, tuple[float, float]]:
    """An interval at ``level`` for the lowest false-reject rate at ≤ each limit of false
    accepts per hour, by resampling clips (the bootstrap, Efron & Tibshirani 1993).

    The streams ŷ (T_y,) with and without triggers are clips of ``clip_seconds`` one after the
    other (``words``: the triggers' (start, end) in seconds). ``samples`` times, as many clips of
    each as there are are drawn with replacement (seeded by ``seed``); the threshold is the
    lowest one from ``start`` that leaves at most ``limit`` false accepts per hour among the
    drawn clips without triggers (as :func:`lowest_threshold`: just above the (k + 1)-th highest
    detection score, repeated until the count holds), and the FRR is that of the drawn clips with
    triggers at it (1 where no threshold ≤ 1 does). Returns each limit's (low, high): the
    (1 − level) / 2 and (1 + level) / 2 quantiles. A detection or word belongs to the clip it
    starts in, and is counted as it is in the whole stream at that threshold.
    """
    if samples < 1 or not 0 < level < 1 or clip_seconds <= 0:
        raise ValueError(f"bootstrap_frr: expected samples ≥ 1, level in (0, 1) and "
                         f"clip_seconds > 0, got {samples}, {level} and {clip_seconds}")

    def clips(length: int) -> int:
        return max(1, math.ceil(length * frame_seconds / clip_seconds - 1e-9))

    n_positive, n_negative = clips(y_positive.numel()), clips(y_negative.numel())

    def clip_of(seconds: float, count: int) -> int:
        return min(int(seconds // clip_seconds), count - 1)

    scores_at: dict[float, list[list[float]]] = {}  # threshold → detection scores per clip
    misses_at: dict[float, list[int]] = {}  # threshold → missed words per clip
    words_per_clip = [0] * n_positive
    for start_seconds, _ in words:
        words_per_clip[clip_of(start_seconds, n_positive)] += 1

    def negative_scores(t: float) -> list[list[float]]:
        if t not in scores_at:
            scores_at[t] = [[] for _ in range(n_negative)]
            for d in detect(y_negative, frame_seconds, t, refractory_seconds):
                scores_at[t][clip_of(d.start_seconds, n_negative)].append(d.score)
        return scores_at[t]

    def misses(t: float) -> list[int]:
        if t not in misses_at:
            found = matches(detect(y_positive, frame_seconds, t, refractory_seconds), words,
                            max_delay_seconds)
            misses_at[t] = [0] * n_positive
            for (start_seconds, _), hit in zip(words, found, strict=True):
                misses_at[t][clip_of(start_seconds, n_positive)] += not hit
        return misses_at[t]

    def drawn(sample: list[int], t: float) -> list[float]:
        """The detection scores at t of the negative clips ``sample``."""
        return [s for c in sample for s in negative_scores(t)[c]]

    rng = random.Random(seed)
    limits = list(limits)
    frr: dict[float, list[float]] = {limit: [] for limit in limits}
    for _ in range(samples):
        negative = rng.choices(range(n_negative), k=n_negative)
        positive = rng.choices(range(n_positive), k=n_positive)
        total = sum(words_per_clip[c] for c in positive)
        for limit in limits:
            t = _lowest_allowed(functools.partial(drawn, negative),
                                math.floor(limit * n_negative * clip_seconds / 3600 + 1e-9), start)
            missed = total if t is None else sum(misses(t)[c] for c in positive)
            frr[limit].append(missed / total if total else 0.0)
    q = torch.tensor([(1 - level) / 2, (1 + level) / 2], dtype=torch.float64)
    return {limit: tuple(torch.tensor(values, dtype=torch.float64).quantile(q).tolist())
            for limit, values in frr.items()}
