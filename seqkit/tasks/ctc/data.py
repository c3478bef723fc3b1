"""Spoken digit strings for the CTC task: the ``ctc_digits`` preparer and the training examples.

The preparer writes ``{split}-{size}.pt`` (:class:`seqkit.speech.corpus.Waveforms`) into
``data.dir`` for each of :data:`SPLITS`, unless it is there; ``prepared.json`` records the seed
and digit range it was made with, and a recipe with others is refused (choose another
``data.dir``). Utterance i of a split is a digit string read out (``read_out``: "oh seven double
five") by a voice drawn for that split, played through :func:`seqkit.speech.corpus.condition`
(level, telephone band, silence, noise); it is drawn from its own seed (seed, split, i), so one
seed gives one corpus on any number of processes.

Voices: train and valid use espeak-ng's 8 English accents with the variants of
``data.voices`` (:func:`train_variants`): ``all``, every variant in espeak-ng's ``voices/!v``
folder but the held-out ones (97 of espeak-ng 1.51's 101: klatt…klatt6, m1–m5, m8, f1–f3,
croak, whisper and the named ones), or ``numbered``, :data:`TRAIN_VARIANTS` alone; and shares
of them by other engines (:func:`engine_voice`, none of them flite or its speakers):
``data.festival`` by Festival's diphone voices ked and rab, at a pitch drawn from
``data.festival_pitch`` when set (else their own), ``data.mbrola`` by MBROLA's us1, us2, us3 and
en1, ``data.pico`` by SVOX Pico's en-US and en-GB, ``data.rhvoice`` by RHVoice's bdl, clb,
evgeniy-eng and lyubov (:mod:`seqkit.speech.synth`). ``test-espeak`` holds out the variants of
:data:`HELD_OUT_VARIANTS`; ``test-flite`` holds out the other engine, flite's four voices.

This module imports nothing heavy at load time, so :mod:`seqkit.data.preparers` can point at it.
"""

import functools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seqkit.config import require
from seqkit.data.preparers import check_prepared

SPLITS = ("train", "valid", "test-espeak", "test-flite")
TRAIN_VARIANTS = ("m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3")  # data.voices: numbered
HELD_OUT_VARIANTS = ("m6", "m7", "f4", "f5")  # test-espeak's; never in train or valid


def train_variants(voices: str) -> tuple[str, ...]:
    """The espeak-ng variants of train and valid for ``data.voices`` (module docstring)."""
    if voices == "numbered":
        return TRAIN_VARIANTS
    from seqkit.speech.synth import espeak_variants

    return tuple(v for v in espeak_variants() if v not in HELD_OUT_VARIANTS)


@dataclass
class DigitsDataConfig:
    """The recipe's ``data:`` section of the CTC task."""

    dir: str = "data/ctc-digits"  # where {train,valid,test-espeak,test-flite}.pt are kept
    prepare: str | None = "ctc_digits"  # preparer that synthesises the splits when missing
    train: int = 4000  # utterances in the training split
    valid: int = 200  # utterances in the validation split
    test: int = 300  # utterances in each test split (test-espeak, test-flite)
    min_digits: int = 1  # digits per string, at least
    max_digits: int = 7  # digits per string, at most
    processes: int = 2  # synthesis processes of the preparer
    batch_frames: int = 20000  # batch budget: utterances × longest padded length in frames
    workers: int = 1  # DataLoader processes computing features (0: in the training process)
    voices: Literal["all", "numbered"] = "all"  # training variants (module docstring)
    spec_augment: bool = True  # SpecAugment masks on training features (2 × 8 bands, 2 × 20 frames)
    speed: float = 0.0  # training speed perturbation: factor uniform in [1 − speed, 1 + speed]
    vtlp: float = 0.0  # training VTLP: warp factor α uniform in [1 − vtlp, 1 + vtlp]
    festival: float = 0.0  # share of train and valid utterances by Festival's voices ked, rab
    festival_pitch: list[int] | None = None  # [low, high]: its pitch drawn in them (None: own)
    mbrola: float = 0.0  # share by MBROLA's voices us1, us2, us3, en1
    pico: float = 0.0  # share by SVOX Pico's voices en-US, en-GB
    rhvoice: float = 0.0  # share by RHVoice's voices bdl, clb, evgeniy-eng, lyubov

    def __post_init__(self) -> None:
        for key in ("train", "valid", "test", "min_digits", "processes", "batch_frames"):
            require(getattr(self, key) >= 1, f"data.{key}", "≥ 1", getattr(self, key))
        require(self.max_digits >= self.min_digits, "data.max_digits",
                f"≥ data.min_digits ({self.min_digits})", self.max_digits)
        require(self.workers >= 0, "data.workers", "≥ 0", self.workers)
        require(self.voices in ("all", "numbered"), "data.voices", "all or numbered", self.voices)
        for key in ("speed", "vtlp"):
            require(0 <= getattr(self, key) < 0.5, f"data.{key}", "in [0, 0.5)", getattr(self, key))
        check_shares(self.engines)
        check_festival_pitch(self.festival_pitch)

    @property
    def engines(self) -> dict[str, float]:
        """The shares of train and valid utterances by other engines than espeak-ng."""
        return {"festival": self.festival, "mbrola": self.mbrola, "pico": self.pico,
                "rhvoice": self.rhvoice}

    def path(self, split: str) -> Path:
        """``{dir}/{split}-{size}.pt``: a recipe asking for another size gets its own file."""
        return Path(self.dir) / f"{split}-{self.size(split)}.pt"

    def size(self, split: str) -> int:
        return {"train": self.train, "valid": self.valid}.get(split, self.test)


def voice_for(split: str, rng: random.Random, voices: str = "all",
              engines: dict[str, float] | None = None,
              festival_pitch: list[int] | None = None) -> Any:
    """A voice of ``split``'s pool (module docstring), espeak-ng at 130–220 wpm, pitch 30–70;
    in train and valid, shares ``engines`` by other engines (:func:`engine_voice`)."""
    from seqkit.speech.synth import ESPEAK_ACCENTS, FLITE_VOICES, Voice

    if split == "test-flite":
        return Voice("flite", rng.choice(FLITE_VOICES))
    if split in ("train", "valid") and (voice := engine_voice(rng, engines, festival_pitch)):
        return voice
    variants = HELD_OUT_VARIANTS if split == "test-espeak" else train_variants(voices)
    return Voice("espeak-ng", rng.choice(ESPEAK_ACCENTS), rng.choice(variants),
                 rng.randint(130, 220), rng.randint(30, 70))


def engine_voice(rng: random.Random, engines: dict[str, float] | None,
                 festival_pitch: list[int] | None = None) -> Any:
    """With probability ``engines[e]`` a voice of engine e (festival, mbrola, pico or rhvoice;
    shares summing to ≤ 1) at 130–220 wpm, else None. Festival's pitch is drawn in
    ``festival_pitch`` = [low, high] when given (else its own), the others' in 30–70. No draw
    from ``rng`` when every share is 0, so corpora made before the shares existed stay as they
    were."""
    from seqkit.speech.synth import VOICES, Voice

    if not engines or not any(engines.values()):
        return None
    r = rng.random()
    for engine, share in engines.items():
        if r < share:
            name, speed = rng.choice(VOICES[engine]), rng.randint(130, 220)
            pitch = (rng.randint(30, 70) if engine != "festival" else
                     rng.randint(*festival_pitch) if festival_pitch else 50)
            return Voice(engine, name, speed=speed, pitch=pitch)
        r -= share
    return None


def check_shares(engines: dict[str, float]) -> None:
    """The other engines' shares (``data.festival``, …): each in [0, 1], their sum ≤ 1."""
    for engine, share in engines.items():
        require(0 <= share <= 1, f"data.{engine}", "in [0, 1]", share)
    total = sum(engines.values())
    require(total <= 1, " + ".join(f"data.{engine}" for engine in engines), "≤ 1", round(total, 9))


def check_festival_pitch(pitch: list[int] | None) -> None:
    """``data.festival_pitch``: None, or [low, high] with 0 ≤ low ≤ high ≤ 99."""
    if pitch is not None:
        require(isinstance(pitch, list) and len(pitch) == 2
                and all(isinstance(p, int) and not isinstance(p, bool) for p in pitch)
                and 0 <= pitch[0] <= pitch[1] <= 99,
                "data.festival_pitch", "null or [low, high], 0 ≤ low ≤ high ≤ 99", pitch)


def engine_settings(engines: dict[str, float],
                    festival_pitch: list[int] | None) -> dict[str, Any]:
    """What ``prepared.json`` records of the other engines: the nonzero shares (a corpus made
    before a share existed records none), Festival's voices and pitch range when used."""
    from seqkit.speech.synth import FESTIVAL_VOICES

    settings: dict[str, Any] = {engine: share for engine, share in engines.items() if share}
    if engines["festival"]:
        settings["festival_voices"] = sorted(FESTIVAL_VOICES)
    if festival_pitch:
        settings["festival_pitch"] = festival_pitch
    return settings


def utterance(i: int, split: str, seed: int, min_digits: int, max_digits: int,
              voices: str = "all", engines: dict[str, float] | None = None,
              festival_pitch: list[int] | None = None) -> tuple[Any, str, str]:
    """Utterance i of ``split``: its conditioned waveform (N,), transcript and speaker."""
    from seqkit.speech.corpus import condition
    from seqkit.speech.digits import read_out

    rng = random.Random(f"{seed}:{split}:{i}")  # str seeds hash stably across processes
    digits = "".join(rng.choice("0123456789")
                     for _ in range(rng.randint(min_digits, max_digits)))
    text = read_out(digits, rng)
    voice = voice_for(split, rng, voices, engines, festival_pitch)
    return condition(voice.say(text), rng), text, voice.speaker


def ctc_digits(data: DigitsDataConfig, seed: int) -> None:
    """The preparer: synthesise every missing split of ``data.dir``."""
    from seqkit.speech import corpus

    made_with = {"seed": seed, "min_digits": data.min_digits, "max_digits": data.max_digits,
                 "train_variants": list(train_variants(data.voices))}
    made_with.update(engine_settings(data.engines, data.festival_pitch))
    check_prepared(data.dir, made_with)
    for split in SPLITS:
        if data.path(split).is_file():
            continue
        make = functools.partial(utterance, split=split, seed=seed, min_digits=data.min_digits,
                                 max_digits=data.max_digits, voices=data.voices,
                                 engines=data.engines, festival_pitch=data.festival_pitch)
        waveforms = corpus.synthesise(make, data.size(split), data.processes,
                                      f"ctc_digits {split}")
        data.path(split).parent.mkdir(parents=True, exist_ok=True)
        corpus.save(data.path(split), waveforms)
