"""Words and backgrounds for the trigger-word task: the ``trigger_words`` preparer.

Into ``data.dir`` it writes, unless there (:class:`seqkit.speech.corpus.Waveforms` files):

- ``words-train-{n}.pt``: n recordings, a third of them the trigger phrase (``data.trigger``), the
  rest other words (:data:`NEGATIVE_WORDS`, some of them sounding alike, and with
  ``data.confusables`` also :data:`CONFUSABLE_WORDS`), by espeak-ng's English accents with the
  variants of ``data.voices`` (``ctc.data.train_variants``: ``all``, every variant but the
  held-out ones; ``numbered``, m1–m5 and f1–f3), and shares ``data.festival``, ``data.mbrola``,
  ``data.pico`` and ``data.rhvoice`` of them by other engines' voices
  (``ctc.data.engine_voice``; none of flite's or its speakers'), Festival's at pitches drawn from
  ``data.festival_pitch`` when set;
- ``words-test-{n}.pt``: the same (:data:`NEGATIVE_WORDS` only, whatever the training pool) by
  held-out voices: the variants ``HELD_OUT_VARIANTS`` and flite's voices, half each;
- ``backgrounds.pt``: 60 s each of sox's white, pink and brown noise at two levels, near-silence,
  and (``data.music``), when Debian's ``asterisk-moh-opsound-wav`` is installed, its music on
  hold (else a note says what to install; installed later, the file is made again with it).

Each word is played at a random level (−26 … −3 dB peak), one in four through a telephone band,
and drawn from its own seed (seed, split, i). ``prepared.json`` records the trigger phrase and the
seed (and the training variants and confusables when not the first recipe's numbered voices
without confusables, and the other engines' shares when not 0); a recipe with others is
refused (choose another ``data.dir``).

This module imports nothing heavy at load time, so :mod:`seqkit.data.preparers` can point at it.
"""

import functools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from seqkit.config import require
from seqkit.data.preparers import check_prepared
from seqkit.tasks.ctc.data import check_festival_pitch, check_shares

NEGATIVE_WORDS = ("active", "activity", "captivate", "cultivate", "motivate", "navigate",
                  "vacate", "actually", "hello", "computer", "music", "weather", "today",
                  "seven", "light", "kitchen", "stop", "play", "timer", "morning", "tomorrow",
                  "window", "television", "please", "open", "radio", "alarm", "coffee",
                  "evening", "calendar", "jacket", "garvis", "service", "harvest")
# training-only negatives: more words sharing the trigger's sounds ("activate", "hey jarvis");
# a word containing the trigger phrase is never used as a negative
CONFUSABLE_WORDS = ("activist", "actively", "captive", "captivity", "cavity", "native",
                    "relative", "elevate", "renovate", "aggravate", "excavate", "evaluate",
                    "accurate", "candidate", "vacation", "activities", "octave", "alligator",
                    "jarvis", "hey", "hay", "jar", "jervis", "harvard", "nervous", "service",
                    "carvings", "hey there", "hey travis", "say jarvis")
MUSIC_FOLDER = Path("/usr/share/asterisk/moh")  # Debian's asterisk-moh-opsound-wav


@dataclass
class TriggerDataConfig:
    """The recipe's ``data:`` section of the trigger-word task."""

    dir: str = "data/trigger-word"  # where the word and background files are kept
    prepare: str | None = "trigger_words"  # preparer that synthesises them when missing
    trigger: str = "activate"  # the trigger phrase (lower-case words)
    train_words: int = 600  # word recordings by training voices (a third of them the trigger)
    test_words: int = 300  # word recordings by held-out voices
    processes: int = 2  # synthesis processes of the preparer
    music: bool = True  # add Debian's music on hold (asterisk-moh-opsound-wav) to the backgrounds
    clip_seconds: float = 10.0  # clip length (the notes' 10 s), also the scoring window
    clips: int = 256  # training clips per epoch (new clips every epoch)
    valid_clips: int = 32  # validation clips (training voices, their own seeds)
    batch_size: int = 8  # clips per batch
    workers: int = 1  # DataLoader processes mixing clips and computing features
    voices: Literal["all", "numbered"] = "numbered"  # training variants (module docstring)
    confusables: bool = False  # CONFUSABLE_WORDS among the training negatives too
    speed: float = 0.0  # each training word played 1 ± U(0, speed) times as fast (0: none)
    vtlp: float = 0.0  # each training clip's mel axis warped by α = 1 ± U(0, vtlp) (0: none)
    tilt: float = 0.0  # each training word's spectrum tilted by U(−tilt, tilt) dB per octave
    lowpass: float = 0.0  # and low-passed at 2.5–7 kHz with this probability (0: never)
    spec_augment: bool = False  # SpecAugment masks on training log-mels (2 × 8 bands, 2 × 0.1 s)
    envelope: float = 0.0  # share of training words given a parametric synthesiser's envelope
    max_negatives: int = 2  # other words per training clip: 0..max_negatives (the notes: 2)
    festival: float = 0.0  # share of training words by Festival's voices ked, rab
    festival_pitch: list[int] | None = None  # [low, high]: its pitch drawn in them (None: own)
    mbrola: float = 0.0  # share by MBROLA's voices us1, us2, us3, en1
    pico: float = 0.0  # share by SVOX Pico's voices en-US, en-GB
    rhvoice: float = 0.0  # share by RHVoice's voices bdl, clb, evgeniy-eng, lyubov

    def __post_init__(self) -> None:
        words = self.trigger.split()
        require(bool(words) and all(w.isalpha() and w.isascii() for w in words), "data.trigger",
                "lower-case words a–z", self.trigger)
        require(self.trigger == " ".join(words).lower(), "data.trigger",
                "lower-case words a–z, single spaces", self.trigger)
        for key in ("train_words", "test_words", "processes", "clips", "valid_clips",
                    "batch_size"):
            require(getattr(self, key) >= 1, f"data.{key}", "≥ 1", getattr(self, key))
        require(self.workers >= 0, "data.workers", "≥ 0", self.workers)
        require(0 <= self.max_negatives <= 10, "data.max_negatives", "in [0, 10]",
                self.max_negatives)
        require(self.voices in ("all", "numbered"), "data.voices", "all or numbered", self.voices)
        for key in ("speed", "vtlp"):
            require(0 <= getattr(self, key) < 0.5, f"data.{key}", "in [0, 0.5)", getattr(self, key))
        require(0 <= self.tilt <= 12, "data.tilt", "in [0, 12] dB per octave", self.tilt)
        for key in ("lowpass", "envelope"):
            require(0 <= getattr(self, key) <= 1, f"data.{key}", "in [0, 1]", getattr(self, key))
        require(2 <= self.clip_seconds <= 60, "data.clip_seconds", "in [2, 60]",
                self.clip_seconds)
        check_shares(self.engines)
        check_festival_pitch(self.festival_pitch)

    @property
    def engines(self) -> dict[str, float]:
        """The shares of training words by other engines than espeak-ng."""
        return {"festival": self.festival, "mbrola": self.mbrola, "pico": self.pico,
                "rhvoice": self.rhvoice}

    def words_path(self, split: str) -> Path:
        count = self.train_words if split == "train" else self.test_words
        return Path(self.dir) / f"words-{split}-{count}.pt"

    @property
    def backgrounds_path(self) -> Path:
        return Path(self.dir) / "backgrounds.pt"


def negative_words(split: str, trigger: str, confusables: bool = False) -> list[str]:
    """The other words of ``split``: :data:`NEGATIVE_WORDS`, for training with ``confusables``
    also :data:`CONFUSABLE_WORDS`, none containing the trigger phrase."""
    words = NEGATIVE_WORDS + (CONFUSABLE_WORDS if confusables and split == "train" else ())
    return [w for w in dict.fromkeys(words) if trigger not in w]


def voice_for(split: str, rng: random.Random, voices: str = "numbered",
              engines: dict[str, float] | None = None,
              festival_pitch: list[int] | None = None) -> Any:
    """A voice of ``split``'s pool (module docstring), espeak-ng at 130–220 wpm, pitch 30–70:
    train, the variants of ``voices`` (shares ``engines`` other engines'); test, half flite's
    voices, half the held-out variants."""
    from seqkit.speech.synth import ESPEAK_ACCENTS, FLITE_VOICES, Voice
    from seqkit.tasks.ctc.data import HELD_OUT_VARIANTS, engine_voice, train_variants

    if split == "test" and rng.random() < 0.5:
        return Voice("flite", rng.choice(FLITE_VOICES))
    if split == "train" and (voice := engine_voice(rng, engines, festival_pitch)):
        return voice
    variants = train_variants(voices) if split == "train" else HELD_OUT_VARIANTS
    return Voice("espeak-ng", rng.choice(ESPEAK_ACCENTS), rng.choice(variants),
                 rng.randint(130, 220), rng.randint(30, 70))


def word(i: int, split: str, seed: int, trigger: str, voices: str = "numbered",
         confusables: bool = False, engines: dict[str, float] | None = None,
         festival_pitch: list[int] | None = None) -> tuple[Any, str, str]:
    """Recording i of ``split``: the trigger when i is a multiple of 3, else another word (its
    waveform, text and speaker)."""
    from seqkit.speech.corpus import condition

    rng = random.Random(f"{seed}:{split}:{i}")
    text = trigger if i % 3 == 0 else rng.choice(negative_words(split, trigger, confusables))
    voice = voice_for(split, rng, voices, engines, festival_pitch)
    spoken = condition(voice.say(text), rng,
                       peak_db=(-26.0, -3.0), silence=0.0, snr_db=(50.0, 60.0))
    return _trim(spoken), text, voice.speaker


def _trim(waveform: Any, floor: float = 0.02) -> Any:
    """``waveform`` without the leading and trailing samples below ``floor`` × its peak, so a
    word's end (where the labels start) is where its sound ends."""
    import torch

    loud = torch.nonzero(waveform.abs() >= floor * waveform.abs().max()).flatten()
    return waveform[int(loud[0]):int(loud[-1]) + 1] if loud.numel() else waveform


def music_tracks() -> list[Path]:
    """The WAV files of Debian's music on hold (none when not installed)."""
    return sorted(MUSIC_FOLDER.glob("*.wav")) if MUSIC_FOLDER.is_dir() else []


def backgrounds(music: bool = True) -> Any:
    """The background recordings (module docstring) as Waveforms, named by their texts."""
    import torch

    from seqkit.speech.audio import read_wav
    from seqkit.speech.corpus import pack
    from seqkit.speech.synth import noise
    from seqkit.status import status

    waves, names = [], []
    for colour in ("white", "pink", "brown"):
        for amplitude in (0.003, 0.03):
            waves.append(noise(60.0, colour, amplitude))
            names.append(f"{colour} noise {amplitude}")
    generator = torch.Generator().manual_seed(0)
    waves.append(1e-4 * torch.randn(60 * 16_000, generator=generator))
    names.append("near-silence")
    tracks = music_tracks() if music else []
    if music and not tracks:
        status("trigger_words: no music on hold found; apt-get install asterisk-moh-opsound-wav "
               "for music backgrounds")
    for path in tracks:
        track = read_wav(path)
        waves.append(0.3 * track / track.abs().max().clamp(min=1e-9))
        names.append(f"music {path.name}")
    return pack(waves, names)


def trigger_words(data: TriggerDataConfig, seed: int) -> None:
    """The preparer: synthesise every missing file of ``data.dir``."""
    from seqkit.speech import corpus
    from seqkit.tasks.ctc.data import engine_settings, train_variants

    settings: dict[str, Any] = {"seed": seed, "trigger": data.trigger}
    if data.voices != "numbered" or data.confusables:  # the first recipe's folders stay valid
        settings.update(train_variants=list(train_variants(data.voices)),
                        train_negatives=negative_words("train", data.trigger, data.confusables))
    settings.update(engine_settings(data.engines, data.festival_pitch))
    check_prepared(data.dir, settings)
    for split in ("train", "test"):
        if not data.words_path(split).is_file():
            count = data.train_words if split == "train" else data.test_words
            make = functools.partial(word, split=split, seed=seed, trigger=data.trigger,
                                     voices=data.voices, confusables=data.confusables,
                                     engines=data.engines,
                                     festival_pitch=data.festival_pitch)
            corpus.save(data.words_path(split), corpus.synthesise(
                make, count, data.processes, f"trigger_words {split}"))
    path = data.backgrounds_path
    if not path.is_file() or (data.music and music_tracks() and not any(  # music installed since
            name.startswith("music ") for name in corpus.load(path).texts)):
        corpus.save(path, backgrounds(data.music))
