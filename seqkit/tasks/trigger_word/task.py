"""The trigger-word task: the notes' model on synthesised 10 s clips, detections over long audio.

Recipe sections: ``data`` (:class:`~.data.TriggerDataConfig`: the trigger phrase, how many words
and clips), ``features`` (log-mels with a 29-sample hop: 5518 frames per 10 s), ``model``
(``seqkit.speech.TriggerWordConfig``: Conv1D → BN → ReLU → dropout → GRU → GRU → sigmoid) and
``detect`` (:class:`DetectConfig`), plus ``task``, ``seed`` and ``train``.

Training clips are new every epoch: clip j of epoch e is drawn from the seed (seed, "train", e),
j, so a resumed run sees the clips the uninterrupted run saw. The loss is the mean binary
cross-entropy over the T_y = 1376 output frames of each clip (labels 1 for the 50 frames after
each trigger ends). Scores ŷ of long audio come window by window (``speech.score_audio``) and
become detections by threshold and refractory period (``speech.StreamingDetector``).
"""

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import torch
from torch import Tensor, nn

from seqkit.config import require
from seqkit.data import BatchLoader, prepare
from seqkit.errors import ConfigError
from seqkit.speech import corpus
from seqkit.speech.audio import SAMPLE_RATE, read_wav
from seqkit.speech.detect import (
    Detection,
    DetectionStats,
    bootstrap_frr,
    detect,
    detection_stats,
    lowest_threshold,
    score_audio,
)
from seqkit.speech.features import FeatureConfig
from seqkit.speech.trigger import (
    TRIGGER_FEATURES,
    TriggerClips,
    TriggerWordConfig,
    TriggerWordModel,
    trigger_loss,
)
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.trigger_word.data import TriggerDataConfig
from seqkit.tasks.trigger_word.verbs import EVALUATE_OPTIONS, VERBS

THRESHOLDS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99,
              0.995, 0.999)
FA_LIMITS = (1, 5, 20)  # false accepts per hour: the operating points evaluate reports
RESAMPLES = 1000  # bootstrap samples of the clips behind each operating point's 95% interval


@dataclass
class DetectConfig:
    """The recipe's ``detect:`` section: turning scores into detections, and the test streams."""

    threshold: float = 0.5  # a frame with ŷ ≥ threshold is part of a detection
    refractory_seconds: float = 1.0  # a run starting this soon after a detection extends it
    max_delay_seconds: float = 1.0  # a detection may start this long after its word ends
    # long audio is scored in windows of data.clip_seconds starting this far apart (None: half
    # a window, so a word cut by one window's edge is heard whole by the next)
    hop_seconds: float | None = None
    test_clips: int = 100  # held-out 10 s clips with trigger words: the false-reject rate
    negative_hours: float = 1.0  # held-out audio without the trigger: false accepts per hour

    def __post_init__(self) -> None:
        require(0 < self.threshold <= 1, "detect.threshold", "in (0, 1]", self.threshold)
        for key in ("refractory_seconds", "max_delay_seconds"):
            require(getattr(self, key) >= 0, f"detect.{key}", "≥ 0", getattr(self, key))
        require(self.hop_seconds is None or self.hop_seconds > 0, "detect.hop_seconds", "> 0",
                self.hop_seconds)
        require(self.test_clips >= 1, "detect.test_clips", "≥ 1", self.test_clips)
        require(self.negative_hours > 0, "detect.negative_hours", "> 0", self.negative_hours)


@dataclass
class TriggerWordRecipe(Recipe):
    task: str = "trigger_word"
    data: TriggerDataConfig = field(default_factory=TriggerDataConfig)
    features: FeatureConfig = field(default_factory=lambda: TRIGGER_FEATURES)
    model: TriggerWordConfig = field(default_factory=TriggerWordConfig)
    detect: DetectConfig = field(default_factory=DetectConfig)

    def __post_init__(self) -> None:
        require(self.model.n_mels == self.features.n_mels, "model.n_mels",
                f"features.n_mels ({self.features.n_mels})", self.model.n_mels)
        require((self.detect.hop_seconds or 0) <= self.data.clip_seconds, "detect.hop_seconds",
                f"≤ data.clip_seconds ({self.data.clip_seconds})", self.detect.hop_seconds)


class Stream(NamedTuple):
    """Clips one after the other, as one long recording."""

    waveform: Tensor  # (N,)
    words: list[tuple[float, float]]  # (start, end) seconds of every trigger word in it
    voices: list[str]  # who speaks each of them (empty when the clips do not know)


def collate(items: list[tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    """(x (B, T, F), y (B, T_y)): clips all have the same length, so nothing to pad."""
    return torch.stack([x for x, _ in items]), torch.stack([y for _, y in items])


class TriggerWordTask:
    """Trains the trigger-word model on synthesised clips; detects the trigger in WAV files."""

    name = "trigger_word"
    unit = "frames"  # what the count of loss counts (progress lines)
    Recipe = TriggerWordRecipe
    metrics: ClassVar = {"loss": False, "frr": False, "fa_per_hour": False}
    resumable: ClassVar = ("data.workers", "data.processes", "detect.")
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: TriggerWordRecipe) -> None:
        self.recipe = recipe
        self.model = TriggerWordModel(recipe.model)

    @classmethod
    def build(cls, recipe: TriggerWordRecipe) -> "TriggerWordTask":
        if recipe.data.prepare:
            prepare(recipe.data.prepare, recipe.data, recipe.seed)
        task = cls(recipe)
        task.clips("train")  # missing files are one line, before training starts
        return task

    @classmethod
    def restore(cls, recipe: TriggerWordRecipe, state: dict[str, Any]) -> "TriggerWordTask":
        if state["kind"] != cls.name or state["trigger"] != recipe.data.trigger:
            raise ValueError(f"expected the state of a {cls.name} task for "
                             f"{recipe.data.trigger!r}, got {state['kind']!r}")
        return cls(recipe)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    def state(self) -> dict[str, Any]:
        return {"kind": self.name, "trigger": self.recipe.data.trigger}

    @property
    def trigger(self) -> str:
        return self.recipe.data.trigger

    def clips(self, kind: str, epoch: int = 0, negative_hours: float | None = None) -> TriggerClips:
        """The clips of ``kind``: train (of ``epoch``), valid (training voices), test (held-out
        voices, with triggers) or negative (held-out voices, no trigger; ``negative_hours`` of
        them, default the recipe's)."""
        data, detect_ = self.recipe.data, self.recipe.detect
        split = "train" if kind in ("train", "valid") else "test"
        words = _load(str(data.words_path(split)))
        trigger = [] if kind == "negative" else [i for i in range(len(words))
                                                  if words.texts[i] == self.trigger]
        negatives = [words.waveform(i) for i in range(len(words)) if words.texts[i] != self.trigger]
        count = {"train": data.clips, "valid": data.valid_clips, "test": detect_.test_clips,
                 "negative": math.ceil((negative_hours or detect_.negative_hours) * 3600
                                       / data.clip_seconds)}[kind]
        seed = f"{self.recipe.seed}:{kind}" + (f":{epoch}" if kind == "train" else "")
        backgrounds = _load(str(data.backgrounds_path))
        # training clips are augmented; in valid and test clips the triggers are far enough
        # apart that each can be detected on its own (no merging within the refractory period)
        augment = ({"speed": data.speed, "vtlp": data.vtlp, "tilt": data.tilt,
                    "lowpass": data.lowpass, "spec_augment": data.spec_augment,
                    "envelope": data.envelope, "max_negatives": data.max_negatives}
                   if kind == "train" else
                   {"gap_seconds": detect_.refractory_seconds + detect_.max_delay_seconds}
                   if kind in ("valid", "test") else {})
        return TriggerClips([backgrounds.waveform(i) for i in range(len(backgrounds))],
                            [words.waveform(i) for i in trigger], negatives, count, seed,
                            data.clip_seconds, self.recipe.model, self.recipe.features,
                            voices=[words.voices[i] for i in trigger] if words.voices else None,
                            **augment)

    def batches(self, epoch: int) -> BatchLoader:
        """The epoch's ``data.clips`` new clips in batches of ``data.batch_size``."""
        size = self.recipe.data.batch_size
        clips = self.clips("train", epoch)
        order = [list(range(i, min(i + size, len(clips)))) for i in range(0, len(clips), size)]
        return BatchLoader(clips, order, collate, self.recipe.data.workers)

    def loss(self, model: nn.Module, batch: tuple[Tensor, Tensor]) -> tuple[Tensor, int]:
        """Mean binary cross-entropy over the batch's B · T_y frames, and B · T_y."""
        x, y = batch
        return trigger_loss(model, x, y), y.numel()

    def stream(self, clips: TriggerClips) -> Stream:
        """All of ``clips`` one after the other, with the trigger words' times and voices."""
        waves, words, voices = [], [], []
        for i in range(len(clips)):
            clip = clips.clip(i)
            offset = i * clips.num_samples
            waves.append(clip.waveform)
            words += [((offset + s) / SAMPLE_RATE, (offset + e) / SAMPLE_RATE)
                      for s, e in clip.positives]
            if clips.voices is not None:
                voices += [clips.voices[k] for k in clip.positive_words]
        return Stream(torch.cat(waves), words, voices)

    @property
    def hop_seconds(self) -> float:
        """Seconds between the starts of the scoring windows (``detect.hop_seconds``)."""
        return self.recipe.detect.hop_seconds or self.recipe.data.clip_seconds / 2

    def scores(self, waveform: Tensor) -> tuple[Tensor, float]:
        """ŷ (T_y,) of a 16 kHz waveform (N,) of any length, and the seconds per frame."""
        device = next(self.model.parameters()).device
        y_hat, frame_seconds = score_audio(self.model, waveform.to(device), self.recipe.features,
                                           self.recipe.data.clip_seconds,
                                           hop_seconds=self.hop_seconds)
        return y_hat.cpu(), frame_seconds

    def detect(self, waveform: Tensor, threshold: float | None = None) -> list[Detection]:
        """The trigger detections in a 16 kHz waveform (N,)."""
        return self._detections(*self.scores(waveform), threshold)

    def _detections(self, y_hat: Tensor, frame_seconds: float,
                    threshold: float | None = None) -> list[Detection]:
        """The detections in scores ŷ (T_y,) at ``threshold`` (None: ``detect.threshold``)."""
        config = self.recipe.detect
        return detect(y_hat, frame_seconds, threshold or config.threshold,
                      config.refractory_seconds)

    def detect_file(self, path: str | Path, threshold: float | None = None) -> list[Detection]:
        """Detections in a WAV file of any rate; unreadable or empty audio is a one-line
        DataError naming the file."""
        return self.detect(read_wav(path), threshold)

    def stream_stats(self, stream: Stream, threshold: float | None = None) -> DetectionStats:
        y_hat, frame_seconds = self.scores(stream.waveform)
        return self.score_stats(y_hat, frame_seconds, stream, threshold)

    def score_stats(self, y_hat: Tensor, frame_seconds: float, stream: Stream,
                    threshold: float | None = None) -> DetectionStats:
        """The detection counts of ``stream``'s scores ŷ (T_y,) at ``threshold``."""
        return detection_stats(self._detections(y_hat, frame_seconds, threshold), stream.words,
                               stream.waveform.numel() / SAMPLE_RATE,
                               self.recipe.detect.max_delay_seconds)

    def sweep(self, y_positive: Tensor, y_negative: Tensor, frame_seconds: float,
              positive: Stream, negative: Stream,
              threshold: float) -> list[tuple[float, DetectionStats, DetectionStats]]:
        """(threshold, stats with triggers, stats without) at each of :data:`THRESHOLDS`,
        ``threshold`` and, for each limit of :data:`FA_LIMITS`, the lowest threshold with at most
        that many false accepts per hour (``speech.lowest_threshold``), from the scores ŷ (T_y,)
        of the streams with and without triggers."""
        seconds = negative.waveform.numel() / SAMPLE_RATE
        exact = {lowest_threshold(y_negative, frame_seconds, seconds, limit,
                                  self.recipe.detect.refractory_seconds, min(THRESHOLDS))
                 for limit in FA_LIMITS}
        return [(t, self.score_stats(y_positive, frame_seconds, positive, t),
                 self.score_stats(y_negative, frame_seconds, negative, t))
                for t in sorted({*THRESHOLDS, threshold, *exact} - {None})]

    def frr_by_voice(self, y_hat: Tensor, frame_seconds: float, stream: Stream,
                     threshold: float) -> dict[str, float]:
        """The false-reject rate of each voice group (:func:`voice_group`) of ``stream``'s
        trigger words, from its scores ŷ (T_y,) at ``threshold``."""
        detections = self._detections(y_hat, frame_seconds, threshold)
        seconds = stream.waveform.numel() / SAMPLE_RATE
        groups = [voice_group(v) for v in stream.voices]
        words = {group: [w for w, g in zip(stream.words, groups, strict=True) if g == group]
                 for group in sorted(set(groups))}
        return {group: detection_stats(detections, words[group], seconds,
                                       self.recipe.detect.max_delay_seconds).false_reject_rate
                for group in words}

    def validate(self, model: nn.Module) -> dict[str, float]:
        clips = self.clips("valid")
        x, y = collate([clips[i] for i in range(len(clips))])
        device = next(model.parameters()).device
        with torch.no_grad():
            loss = float(trigger_loss(model, x.to(device), y.to(device)))
        stats = self.stream_stats(self.stream(clips))
        return {"loss": loss, "frr": stats.false_reject_rate,
                "fa_per_hour": stats.false_accepts_per_hour}

    def evaluate(self, split: str = "test", threshold: float | None = None,
                 negative_hours: float | None = None) -> Report:
        """False rejects on the held-out clips with triggers, false accepts per hour on held-out
        audio without them, and the real-time factor of scoring it on one CPU thread; the same
        at every threshold of :meth:`sweep` (the grid, and the lowest threshold that allows at
        most 1, 5 or 20 false accepts per hour), and the lowest FRR among them with at most
        1, 5 and 20 false accepts per hour (:data:`FA_LIMITS`), each with a 95% interval from
        resampling the clips (``speech.bootstrap_frr``)."""
        if split not in ("test", "valid"):
            raise ConfigError(f"--split: expected one of test, valid, got {split!r}")
        config = self.recipe.detect
        threshold = threshold or config.threshold
        positive_stream = self.stream(self.clips(split))
        negative_stream = self.stream(self.clips("negative", negative_hours=negative_hours))
        y_positive, frame_seconds = self.scores(positive_stream.waveform)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            start = time.perf_counter()
            y_negative, _ = self.scores(negative_stream.waveform)
            negative = self.score_stats(y_negative, frame_seconds, negative_stream, threshold)
            rtf = (time.perf_counter() - start) / negative.seconds
        finally:
            torch.set_num_threads(threads)
        sweep = self.sweep(y_positive, y_negative, frame_seconds, positive_stream,
                           negative_stream, threshold)
        positive = next(p for t, p, _ in sweep if t == threshold)  # the sweep holds `threshold`
        signature = (f"threshold:{threshold}|refractory:{config.refractory_seconds}s|"
                     f"max_delay:{config.max_delay_seconds}s|hop:{self.hop_seconds:g}s")
        voices = "held-out voices (espeak-ng variants m6, m7, f4, f5 and flite)"
        lines = [f"trigger {self.trigger!r}, {voices}:",
                 f"  with triggers ({positive.seconds / 60:.1f} min): {positive.format(signature)}",
                 f"  without ({negative.seconds / 3600:.2f} h of other words, noise, music): "
                 f"{negative.format(signature)}",
                 f"  real-time factor {rtf:.4f} (scoring time / audio time, 1 CPU thread)",
                 "  threshold   FRR      FA/h",
                 *(f"  {t:<9g}  {100 * p.false_reject_rate:6.2f}%  {n.false_accepts_per_hour:7.2f}"
                   for t, p, n in sweep)]
        metrics = {"frr": positive.false_reject_rate,
                   "fa_per_hour": negative.false_accepts_per_hour, "rtf": rtf}
        points = {f"{threshold:g}": threshold}  # column → threshold, for the FRR by voice
        intervals = bootstrap_frr(y_positive, positive_stream.words, y_negative, frame_seconds,
                                  self.recipe.data.clip_seconds, FA_LIMITS,
                                  config.refractory_seconds, config.max_delay_seconds,
                                  min(THRESHOLDS), RESAMPLES)
        for limit in FA_LIMITS:
            reached = lowest_frr(sweep, limit)
            point = f"  lowest FRR with FA/h ≤ {limit}: "
            if reached:
                frr, t = reached
                low, high = intervals[limit]
                metrics |= {f"frr_at_{limit}_fa_per_hour": frr,
                            f"frr_at_{limit}_fa_per_hour_low": low,
                            f"frr_at_{limit}_fa_per_hour_high": high}
                points[f"≤{limit} FA/h ({t:g})"] = t
                lines.append(point + f"{100 * frr:.2f}% (threshold {t:g}; 95% interval "
                             f"{100 * low:.1f}–{100 * high:.1f}% over {RESAMPLES:,} "
                             "resamplings of the clips)")
            else:
                lines.append(point + "none of the thresholds reaches it")
        if positive_stream.voices:
            by_voice = {name: self.frr_by_voice(y_positive, frame_seconds, positive_stream, t)
                        for name, t in points.items()}
            metrics |= {f"frr/{voice}": frr for voice, frr in by_voice[f"{threshold:g}"].items()}
            lines += voice_table(points, by_voice,
                                 Counter(voice_group(v) for v in positive_stream.voices))
        lines.append(f"how: ŷ per {self.recipe.data.clip_seconds:g} s window every "
                     f"{self.hop_seconds:g} s, detections = runs of ŷ ≥ threshold merged within "
                     "the refractory period; a word is found by a detection starting between its "
                     "start and its end + max_delay; FRR from the clips with triggers, FA/h from "
                     "the audio without; the sweep adds the lowest threshold with at most 1, 5 "
                     "and 20 FA/h: operating points picked on these streams; their intervals "
                     "resample where the test words fall, not which words were drawn")
        return Report(f"{split}: {self.recipe.data.dir}", metrics, lines,
                      {"split": split, "threshold": threshold,
                       "negative_hours": negative.seconds / 3600, "trigger": self.trigger,
                       "hop_seconds": self.hop_seconds})


def lowest_frr(sweep: list[tuple[float, DetectionStats, DetectionStats]],
               limit: float) -> tuple[float, float] | None:
    """(FRR, threshold) of the lowest false-reject rate among a sweep's (threshold, stats with
    triggers, stats without) whose false accepts per hour are at most ``limit``; None if none."""
    reached = [(p.false_reject_rate, t) for t, p, n in sweep
               if n.false_accepts_per_hour <= limit]
    return min(reached) if reached else None


def voice_table(points: dict[str, float], by_voice: dict[str, dict[str, float]],
                counts: Counter) -> list[str]:
    """Lines of FRR by voice (rows, with their number of triggers) at each operating point
    (columns: name → threshold)."""
    widths = [max(len(name), 7) for name in points]
    return ["  " + "FRR by voice (triggers)".ljust(26) + " | ".join(
                name.rjust(w) for name, w in zip(points, widths, strict=True)),
            *("  " + f"{voice} ({counts[voice]})".ljust(26) + " | ".join(
                f"{100 * by_voice[name][voice]:.2f}%".rjust(w)
                for name, w in zip(points, widths, strict=True))
              for voice in sorted(counts))]


def voice_group(speaker: str) -> str:
    """The voice an evaluation reports by: espeak-ng's variant without its accent
    ("espeak-ng en-gb+m6" → "espeak-ng +m6"), any other voice as it is ("flite slt")."""
    engine, _, name = speaker.partition(" ")
    if engine == "espeak-ng" and "+" in name:
        return f"{engine} +{name.partition('+')[2]}"
    return speaker


@cache
def _load(path: str) -> corpus.Waveforms:
    return corpus.load(path)
