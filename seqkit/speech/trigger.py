"""Trigger-word detection as in the notes' assignment: synthetic 10 s clips, per-frame labels, and
the Conv1D → GRU → GRU model.

Notes: "RNN output to be set to 1 just after the trigger word was said, else 0". A clip is a
background with positive (trigger) and negative words added at random, non-overlapping places;
its label y<t> over the model's T_y output frames is 1 for the ``label_frames`` (50) frames right
after each positive word ends, so the model must hear the whole word before it fires.

Model (shapes: B batch, T feature frames, F mel bands, C conv channels, H hidden, T_y outputs):

    x (B, T, F) → Conv1D(C, kernel 15, stride 4) → (B, T_y, C),  T_y = ⌊(T − 15) / 4⌋ + 1
      → BatchNorm → ReLU → Dropout → GRU(H) → Dropout → GRU(H) → Dropout → Dense(1) → z (B, T_y)
    ŷ<t> = σ(z<t>), trained with binary cross-entropy against y<t>

The default features (hop 29 samples at 16 kHz: T = 5518 for 10 s) give T_y = 1376 outputs per
10 s, the assignment's 1375 up to rounding, so 50 frames are 0.36 s.
"""

import math
import random
from dataclasses import dataclass
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.config import require
from seqkit.core import BatchNorm, Dense, Dropout, binary_cross_entropy_with_logits
from seqkit.core.init import initialise_
from seqkit.rnn import RNN
from seqkit.speech.audio import SAMPLE_RATE, change_speed, equalise, smooth_envelope
from seqkit.speech.features import FeatureConfig, log_mel_spectrogram, normalise, spec_augment

TRIGGER_FEATURES = FeatureConfig(n_fft=400, win_length=400, hop_length=29, n_mels=40)


@dataclass(frozen=True)
class TriggerWordConfig:
    """The trigger-word model; defaults are the assignment's (196 filters, 128 GRU units)."""

    n_mels: int = 40  # F, input features per frame
    channels: int = 196  # C, Conv1D filters
    kernel_size: int = 15  # Conv1D width in frames
    stride: int = 4  # Conv1D stride: T_y = ⌊(T − kernel_size) / stride⌋ + 1
    hidden_size: int = 128  # H, units of each GRU
    dropout: float = 0.2  # drop probability after the conv block and each GRU (keep 1 − dropout)

    def __post_init__(self) -> None:
        for key in ("n_mels", "channels", "kernel_size", "stride", "hidden_size"):
            require(getattr(self, key) >= 1, f"model.{key}", "≥ 1", getattr(self, key))
        require(0 <= self.dropout < 1, "model.dropout", "in [0, 1)", self.dropout)


class Conv1d(nn.Module):
    """1-D convolution over time (cross-correlation): z<t> = Σ_k W_k x<t·s + k> + b.

    ``weight`` (C_out, C_in, f) He-initialised, ``bias`` (C_out,) at 0; x (B, C_in, T) →
    (B, C_out, ⌊(T − f) / s⌋ + 1), no padding ("valid").
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int,
                 stride: int = 1) -> None:
        super().__init__()
        self.stride = stride
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        initialise_(self.weight, "he_uniform")

    def forward(self, x: Tensor) -> Tensor:
        C_in, f = self.weight.shape[1:]
        if x.dim() != 3 or x.shape[1] != C_in or x.shape[2] < f:
            raise ValueError(f"Conv1d: expected input of shape (B, {C_in}, T ≥ {f}), got "
                             f"{tuple(x.shape)}")
        return F.conv1d(x, self.weight, self.bias, self.stride)


class TriggerWordModel(nn.Module):
    """Conv1D → BatchNorm → ReLU → Dropout → GRU → GRU → per-frame logits (module docstring)."""

    def __init__(self, config: TriggerWordConfig | None = None) -> None:
        super().__init__()
        self.config = config = config or TriggerWordConfig()
        keep = 1.0 - config.dropout
        self.conv = Conv1d(config.n_mels, config.channels, config.kernel_size, config.stride)
        self.norm = BatchNorm(config.channels)
        self.drop = Dropout(keep)
        # two stacked GRUs with dropout between them (inside RNN) and after the second (here)
        self.gru = RNN("gru", config.channels, config.hidden_size, num_layers=2,
                       dropout=config.dropout)
        self.out = Dense(config.hidden_size, 1)

    def output_frames(self, num_frames: int) -> int:
        """T_y = ⌊(T − kernel_size) / stride⌋ + 1."""
        return (num_frames - self.config.kernel_size) // self.config.stride + 1

    def forward(self, x: Tensor) -> Tensor:
        """Logits z (B, T_y) of features x (B, T, F); ŷ = σ(z) is the trigger probability."""
        if x.dim() != 3:
            raise ValueError(f"TriggerWordModel: expected features of shape (B, T, F), got "
                             f"{tuple(x.shape)}")
        u = self.conv(x.transpose(1, 2))  # (B, C, T_y)
        a = self.drop(torch.relu(self.norm(u))).transpose(1, 2)  # (B, T_y, C)
        h, _ = self.gru(a)  # (B, T_y, H)
        return self.out(self.drop(h)).squeeze(2)  # (B, T_y)


def trigger_loss(model: TriggerWordModel, features: Tensor, labels: Tensor) -> Tensor:
    """Mean binary cross-entropy of a batch: features (B, T, F), labels y (B, T_y) in {0, 1}."""
    return binary_cross_entropy_with_logits(model(features), labels)


class Clip(NamedTuple):
    """A synthetic training clip and where its words are, in samples [start, end)."""

    waveform: Tensor  # (N,)
    positives: list[tuple[int, int]]
    negatives: list[tuple[int, int]]
    positive_words: list[int]  # which of make_clip's positives each of ``positives`` is


def _place(length: int, clip_length: int, taken: list[tuple[int, int]], rng: random.Random,
           attempts: int = 100) -> tuple[int, int] | None:
    """A random [start, end) of ``length`` samples overlapping none of ``taken``, or None."""
    for _ in range(attempts):
        start = rng.randint(0, clip_length - length)
        if all(start + length <= s or e <= start for s, e in taken):
            return start, start + length
    return None


MASK_SECONDS = 0.1  # the longest SpecAugment time mask of a training clip
LOWPASS_HZ = (2500.0, 7000.0)  # the range of the random low-pass cutoffs (log-uniform)
ENVELOPE_ORDER = (14, 40)  # the range of smooth_envelope's cepstral orders (< a pitch period)
ENVELOPE_FRAMES = (1, 16)  # and of its moving averages, in frames of 5 ms
ENVELOPE_FLOOR = (24.0, 43.0)  # and of its floors, in dB below each band's loudest frame


def make_clip(background: Tensor, positives: list[Tensor], negatives: list[Tensor],
              rng: random.Random, max_positives: int = 4, max_negatives: int = 2,
              speed: float = 0.0, gap: int = 0, tilt: float = 0.0, lowpass: float = 0.0,
              envelope: float = 0.0) -> Clip:
    """``background`` (N,) with 0..max_positives positive and 0..max_negatives negative words
    (drawn from the lists) added at random non-overlapping positions; a word that finds no free
    place in 100 attempts is left out. With ``speed`` > 0 each word is played
    1 + U(−speed, speed) times as fast (speed perturbation, drawn from ``rng``); with
    probability ``envelope`` it gets a parametric synthesiser's envelope (:func:`parametric`);
    with ``tilt`` or ``lowpass`` > 0 it passes through a random channel (:func:`colour`).
    Positive words are at least ``gap`` samples apart (test clips: each trigger detectable on its
    own). The clip records which positive word went where (``Clip.positive_words``)."""
    for kind, words in (("positive", positives), ("negative", negatives)):
        for word in words:
            if word.numel() > background.numel():
                raise ValueError(f"make_clip: a {kind} word of {word.numel()} samples does not "
                                 f"fit a clip of {background.numel()}")
    waveform = background.clone()
    taken: list[tuple[int, int]] = []
    placed: dict[str, list[tuple[int, int, int]]] = {"positive": [], "negative": []}
    for kind, words, most in (("positive", positives, max_positives),
                              ("negative", negatives, max_negatives)):
        for _ in range(rng.randint(0, most) if words else 0):
            k = rng.randrange(len(words))  # the draw of rng.choice(words)
            word = words[k]
            if speed > 0:
                word = change_speed(word, 1 + rng.uniform(-speed, speed))[:background.numel()]
            if envelope > 0 and rng.random() < envelope:
                word = parametric(word, rng)
            if tilt > 0 or lowpass > 0:
                word = colour(word, rng, tilt, lowpass)
            apart = ([(s - gap, e + gap) for s, e, _ in placed["positive"]]
                     if kind == "positive" else [])
            span = _place(word.numel(), waveform.numel(), taken + apart, rng)
            if span is not None:
                waveform[span[0]:span[1]] += word.to(waveform)
                taken.append(span)
                placed[kind].append((*span, k))
    positive, negative = sorted(placed["positive"]), sorted(placed["negative"])
    return Clip(waveform, [(s, e) for s, e, _ in positive], [(s, e) for s, e, _ in negative],
                [k for _, _, k in positive])


def colour(word: Tensor, rng: random.Random, tilt: float, lowpass: float) -> Tensor:
    """``word`` (N,) through a random channel at its own peak: ``audio.equalise`` with a tilt
    drawn from U(−tilt, tilt) dB per octave and, with probability ``lowpass``, a low-pass at a
    cutoff log-uniform in :data:`LOWPASS_HZ` (other engines' voices differ most above 4 kHz)."""
    s = rng.uniform(-tilt, tilt)
    low, high = (math.log(f) for f in LOWPASS_HZ)
    f_c = math.exp(rng.uniform(low, high)) if rng.random() < lowpass else None
    coloured = equalise(word, s, f_c)
    return coloured * (word.abs().max() / coloured.abs().max().clamp(min=1e-9))


def parametric(word: Tensor, rng: random.Random) -> Tensor:
    """``word`` (N,) as a statistical parametric synthesiser would render it, at its own peak:
    ``audio.smooth_envelope`` with a cepstral order, a moving average and a floor drawn from
    :data:`ENVELOPE_ORDER`, :data:`ENVELOPE_FRAMES` and :data:`ENVELOPE_FLOOR`."""
    smooth = smooth_envelope(word, rng.randint(*ENVELOPE_ORDER), rng.randint(*ENVELOPE_FRAMES),
                             rng.uniform(*ENVELOPE_FLOOR))
    return smooth * (word.abs().max() / smooth.abs().max().clamp(min=1e-9))


def frame_labels(positives: list[tuple[int, int]], num_samples: int, num_outputs: int,
                 label_frames: int = 50) -> Tensor:
    """y (T_y,): 1 for the ``label_frames`` outputs after each positive word ends, else 0.

    Output t covers time t · N / T_y; a word ending at sample e ends at output ⌊e · T_y / N⌋, and
    outputs ⌊e · T_y / N⌋ + 1 … + label_frames are set (cut at T_y): for N = 160,000 and
    T_y = 1376, a word ending at 5 s (e = 80,000) sets outputs 689..738.
    """
    y = torch.zeros(num_outputs)
    for _, end in positives:
        last = end * num_outputs // num_samples
        y[last + 1:last + 1 + label_frames] = 1.0
    return y


class TriggerClips(torch.utils.data.Dataset):
    """``count`` synthetic clips, item i built from its own seed (``seed``, i) (``seed`` an int
    or a str such as "0:valid": sets of clips with different seeds differ): features
    (T, F) normalised per utterance, and labels (T_y,).

    Backgrounds longer than ``clip_seconds`` are cropped at random; one clip is the same on every
    call, so iteration order and restarts do not change the data. Augmentation (training clips):
    ``speed``, each word played 1 + U(−speed, speed) times as fast; ``vtlp``, the clip's mel axis
    warped by α = 1 + U(−vtlp, vtlp) (vocal-tract length perturbation), both drawn from the
    clip's seed; ``tilt`` and ``lowpass``, each word through a random channel (:func:`colour`);
    ``envelope``, the share of words given a parametric synthesiser's envelope
    (:func:`parametric`); ``spec_augment``, the clip's normalised log-mels masked
    (:func:`spec_augment`: 2 masks of up to 8 mel bands, 2 of up to :data:`MASK_SECONDS`), also
    drawn from the clip's seed. ``max_negatives``: each clip holds 0..max_negatives other words
    (the notes: 2).
    ``gap_seconds``: positive words at least this far apart. ``voices``: who speaks
    each positive word, when known (evaluation by voice).
    """

    def __init__(self, backgrounds: list[Tensor], positives: list[Tensor],
                 negatives: list[Tensor], count: int, seed: int | str = 0,
                 clip_seconds: float = 10.0,
                 model: TriggerWordConfig | None = None,
                 features: FeatureConfig = TRIGGER_FEATURES, label_frames: int = 50,
                 speed: float = 0.0, vtlp: float = 0.0, gap_seconds: float = 0.0,
                 voices: list[str] | None = None, tilt: float = 0.0,
                 lowpass: float = 0.0, spec_augment: bool = False,
                 envelope: float = 0.0, max_negatives: int = 2) -> None:
        self.num_samples = int(clip_seconds * SAMPLE_RATE)
        if not backgrounds or any(b.numel() < self.num_samples for b in backgrounds):
            raise ValueError(f"TriggerClips: expected backgrounds of at least {clip_seconds} s "
                             f"({self.num_samples} samples)")
        if voices is not None and len(voices) != len(positives):
            raise ValueError(f"TriggerClips: expected a voice per positive word, got "
                             f"{len(voices)} for {len(positives)}")
        self.backgrounds, self.positives, self.negatives = backgrounds, positives, negatives
        self.voices = voices
        self.count, self.seed = count, seed
        self.features, self.label_frames = features, label_frames
        self.speed, self.vtlp, self.tilt, self.lowpass = speed, vtlp, tilt, lowpass
        self.spec_augment, self.envelope = spec_augment, envelope
        self.max_negatives = max_negatives
        self.gap = int(gap_seconds * SAMPLE_RATE)
        config = model or TriggerWordConfig()
        T = features.num_frames(self.num_samples)
        self.num_outputs = (T - config.kernel_size) // config.stride + 1

    def __len__(self) -> int:
        return self.count

    def clip(self, i: int) -> Clip:
        rng = random.Random(f"{self.seed}:{i}")  # str seeds hash stably: one clip per (seed, i)
        background = rng.choice(self.backgrounds)
        start = rng.randint(0, background.numel() - self.num_samples)
        return make_clip(background[start:start + self.num_samples], self.positives,
                         self.negatives, rng, max_negatives=self.max_negatives,
                         speed=self.speed, gap=self.gap,
                         tilt=self.tilt, lowpass=self.lowpass, envelope=self.envelope)

    def warp(self, i: int) -> float:
        """Clip i's VTLP factor α (1: none), from its own seed."""
        if self.vtlp == 0:
            return 1.0
        return 1 + random.Random(f"{self.seed}:{i}:vtlp").uniform(-self.vtlp, self.vtlp)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        clip = self.clip(i)
        x = normalise(log_mel_spectrogram(clip.waveform, self.features, self.warp(i)))  # (T, F)
        if self.spec_augment:
            generator = torch.Generator().manual_seed(
                random.Random(f"{self.seed}:{i}:mask").getrandbits(63))
            x = spec_augment(x, time_width=round(MASK_SECONDS * SAMPLE_RATE
                                                 / self.features.hop_length),
                             generator=generator)
        y = frame_labels(clip.positives, self.num_samples, self.num_outputs, self.label_frames)
        return x, y
