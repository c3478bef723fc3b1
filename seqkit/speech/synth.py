"""Synthetic speech and noise from Debian's programs: espeak-ng, flite, Festival, MBROLA, SVOX Pico
and RHVoice voices, sox noise, and mixing at a signal-to-noise ratio.

Every function returns a mono float32 waveform (N,) at 16 kHz (``audio.SAMPLE_RATE``): espeak-ng
writes 22,050 Hz and is resampled; flite's kal16, awb, rms and slt voices, Festival's diphone
voices ked (American) and rab (British; neither is one of flite's), MBROLA's diphone voices us1
(a woman), us2, us3 (American men) and en1 (a British man), spoken through espeak-ng's
pronunciation and prosody, and SVOX Pico's en-US and en-GB (two women, an HMM synthesiser) write
16 kHz. RHVoice's English voices bdl (an American man), clb (an American woman), evgeniy-eng and
lyubov (a Russian man and woman speaking English) are HMM voices heard through a vocoder, as
flite's awb, rms and slt are; they write 24 kHz. RHVoice's alan and slt are left out: they are
recorded by the speakers of flite's awb and slt (CMU ARCTIC), which stay held out. Festival's rab
is in Debian's contrib section, MBROLA, Pico and RHVoice in non-free (add them to the apt
sources' components). A missing program or voice is a :class:`ToolError` that names the
Debian package to install and its section.

Output is deterministic: a voice and a text give the same samples on every run, and sox runs in
its repeatable mode (``-R``), so one colour and length give one noise signal; take random crops of
a long one for variety (``seqkit.speech.trigger`` does).
"""

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

from seqkit.errors import SeqkitError
from seqkit.speech.audio import SAMPLE_RATE, read_wav

Engine = Literal["espeak-ng", "flite", "festival", "mbrola", "pico", "rhvoice"]
ESPEAK_ACCENTS = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
                  "en-gb-x-gbcwmd", "en-029", "en-us-nyc")
FLITE_VOICES = ("kal16", "awb", "rms", "slt")
FESTIVAL_VOICES = {"ked": "festvox-kdlpc16k", "rab": "festvox-rablpc16k"}  # voice → package
FESTIVAL_FOLDER = Path("/usr/share/festival/voices/english")  # where Debian installs them
MBROLA_VOICES = ("us1", "us2", "us3", "en1")  # Debian package mbrola-{voice}
MBROLA_FOLDER = Path("/usr/share/mbrola")
PICO_VOICES = ("en-US", "en-GB")
RHVOICE_VOICES = ("bdl", "clb", "evgeniy-eng", "lyubov")  # Debian package rhvoice-english
RHVOICE_FOLDER = Path("/usr/share/RHVoice/voices")
VOICES = {"espeak-ng": ESPEAK_ACCENTS, "flite": FLITE_VOICES,
          "festival": tuple(sorted(FESTIVAL_VOICES)), "mbrola": MBROLA_VOICES,
          "pico": PICO_VOICES, "rhvoice": RHVOICE_VOICES}  # engine → its voices
NOISE_COLOURS = ("white", "pink", "brown")
DEBIAN_PACKAGES = {"espeak-ng": "espeak-ng", "flite": "flite", "text2wave": "festival",
                   "mbrola": "mbrola", "pico2wave": "libttspico-utils",
                   "RHVoice-test": "rhvoice", "sox": "sox"}  # program → package
SECTIONS = {"festvox-rablpc16k": "contrib", "mbrola": "non-free", "libttspico-utils": "non-free",
            "rhvoice": "non-free", "rhvoice-english": "non-free"}  # outside main; and mbrola-*


class ToolError(SeqkitError, RuntimeError):
    """A speech or noise program that is missing or failed; the message is one line."""


def _run(program: str, args: list[str], stdin: str | None = None) -> str:
    """``program``'s standard output; a missing program or a failure is a one-line ToolError."""
    _require(program)
    done = subprocess.run([program, *args], input=stdin, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        message = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise ToolError(f"{program} {' '.join(args)}: exit status {done.returncode}: {message}")
    return done.stdout


def _require(program: str) -> None:
    """A one-line ToolError naming the Debian package when ``program`` is not installed."""
    if shutil.which(program) is None:
        raise ToolError(f"{program}: program not found; install the Debian package "
                        f"{_package(DEBIAN_PACKAGES[program])} (apt-get install "
                        f"{' '.join(DEBIAN_PACKAGES.values())})")


def _package(name: str) -> str:
    """'name', and its section when not Debian's main: "'mbrola-us1' (non-free section)"."""
    section = SECTIONS.get(name, "non-free" if name.startswith("mbrola") else None)
    return f"'{name}'" + (f" ({section} section)" if section else "")


def _synthesise(program: str, args: list[str], stdin: str | None = None) -> Tensor:
    """Run ``program`` with ``{out}`` in ``args`` replaced by a temporary WAV path; read it."""
    with tempfile.TemporaryDirectory(prefix="seqkit-speech-") as tmp:
        out = str(Path(tmp) / "out.wav")
        _run(program, [out if a == "{out}" else a for a in args], stdin)
        return read_wav(out)


@cache
def espeak_variants() -> tuple[str, ...]:
    """The voice variants (m1…m7, f1…f5, croak, whisper, …) in espeak-ng's ``voices/!v`` folder.

    espeak-ng silently falls back to its default voice for an unknown ``+variant``, so variants
    are checked against this list.
    """
    version = _run("espeak-ng", ["--version"])  # "… Data at: <directory>"
    found = re.search(r"Data at:\s*(\S+)", version)
    if found is None:
        raise ToolError(f"espeak-ng --version: expected 'Data at: <directory>', got {version!r}")
    folder = Path(found.group(1)) / "voices" / "!v"
    return tuple(sorted(p.name for p in folder.iterdir() if p.is_file()))


@dataclass(frozen=True)
class Voice:
    """One synthetic speaker: an engine, its voice (accent), for espeak-ng a variant, speed and
    pitch, for Festival, MBROLA, Pico and RHVoice a speed and pitch.

    Festival's pitch, like espeak-ng's 0..99 with 50 the voice's own, scales the mean and spread
    of the F0 its intonation model targets by 2^((pitch − 50) / 50): ked's 105 Hz becomes 53 Hz
    at 0 and 207 Hz at 99 (the diphones keep their formants: a higher-pitched man, not a woman;
    the tasks' VTLP warps the formants). MBROLA's voices take espeak-ng's speed and pitch; Pico's
    and RHVoice's speak at speed / 175 of their own pace with F0 times 2^((pitch − 50) / 50)."""

    engine: Engine = "espeak-ng"  # espeak-ng, flite, festival, mbrola, pico or rhvoice
    name: str = "en-us"  # an ESPEAK_ACCENTS accent or a voice of FLITE_VOICES, FESTIVAL_VOICES, …
    variant: str | None = None  # espeak-ng only: a voice variant such as m3 or f2 (None: default)
    speed: int = 175  # words per minute, 80..450 (festival, pico: 175 their own pace)
    pitch: int = 50  # 0..99, 50 the voice's own (espeak-ng's and mbrola's -p; festival, pico: F0)

    def __post_init__(self) -> None:
        names = VOICES
        if self.engine not in names:
            raise ValueError(f"Voice: unknown engine {self.engine!r}, expected one of "
                             f"{', '.join(names)}")
        if self.name not in names[self.engine]:
            raise ValueError(f"Voice: unknown {self.engine} voice {self.name!r}, expected one of "
                             f"{', '.join(names[self.engine])}")
        if self.engine == "flite" and (self.variant, self.speed, self.pitch) != (None, 175, 50):
            raise ValueError("Voice: variant, speed and pitch are espeak-ng settings; flite "
                             f"voice {self.name!r} takes none of them")
        if self.engine != "espeak-ng" and self.variant is not None:
            raise ValueError(f"Voice: variant is an espeak-ng setting; {self.engine} voice "
                             f"{self.name!r} takes a speed and pitch")
        if not 80 <= self.speed <= 450 or not 0 <= self.pitch <= 99:
            raise ValueError(f"Voice: expected speed in [80, 450] and pitch in [0, 99], got "
                             f"{self.speed} and {self.pitch}")

    @property
    def speaker(self) -> str:
        """Engine and voice, as a corpus records it: "flite slt", "espeak-ng en-gb+m3",
        "festival ked", "pico en-US" (speed and pitch left out)."""
        variant = f"+{self.variant}" if self.variant else ""
        return f"{self.engine} {self.name}{variant}"

    def say(self, text: str) -> Tensor:
        """``text`` spoken by this voice: a waveform (N,) at 16 kHz."""
        if not text.strip():
            raise ValueError(f"Voice.say: expected text to speak, got {text!r}")
        if self.engine == "flite":
            return _synthesise("flite", ["-voice", self.name, "-t", text, "-o", "{out}"])
        if self.engine == "festival":
            return _festival(self.name, self.speed, self.pitch, text)
        if self.engine == "pico":
            return _pico(self.name, self.speed, self.pitch, text)
        if self.engine == "rhvoice":
            return _rhvoice(self.name, self.speed, self.pitch, text)
        if self.engine == "mbrola":  # (espeak-ng's own message for a missing one is unclear)
            _require("mbrola")
            if not (MBROLA_FOLDER / self.name).exists():
                raise ToolError(f"mbrola voice {self.name!r} not found in {MBROLA_FOLDER}; "
                                f"install the Debian package {_package(f'mbrola-{self.name}')}")
        name = f"mb-{self.name}" if self.engine == "mbrola" else self.name
        if self.variant is not None:
            if self.variant not in espeak_variants():
                raise ValueError(f"Voice: unknown espeak-ng variant {self.variant!r}, expected "
                                 f"one of {', '.join(espeak_variants())}")
            name += f"+{self.variant}"
        args = ["-v", name, "-s", str(self.speed), "-p", str(self.pitch), "-w", "{out}", "--stdin"]
        return _synthesise("espeak-ng", args, stdin=text)


def _festival(name: str, speed: int, pitch: int, text: str) -> Tensor:
    """``text`` by Festival's diphone voice ``name`` at ``speed`` words per minute (its own pace
    is taken as 175: durations stretched by 175 / speed) and ``pitch`` (see :class:`Voice`:
    the voice's F0 target mean and spread in ``int_lr_params`` times 2^((pitch − 50) / 50))."""
    if shutil.which("text2wave") and not (FESTIVAL_FOLDER / f"{name}_diphone").is_dir():
        raise ToolError(f"festival voice {name!r} not found in {FESTIVAL_FOLDER}; install the "
                        f"Debian package {_package(FESTIVAL_VOICES[name])}")
    args = ["-eval", f"(voice_{name}_diphone)",
            "-eval", f"(Parameter.set 'Duration_Stretch {175 / speed:.4f})"]
    if pitch != 50:
        factor = 2 ** ((pitch - 50) / 50)
        scaled = " ".join(f"(list '{key} (* {factor:.4f} (cadr (assoc '{key} int_lr_params))))"
                          for key in ("target_f0_mean", "target_f0_std"))
        kept = "(assoc 'model_f0_mean int_lr_params) (assoc 'model_f0_std int_lr_params)"
        args += ["-eval", f"(set! int_lr_params (list {scaled} {kept}))"]
    return _synthesise("text2wave", [*args, "-o", "{out}"], stdin=text)


def _pico(name: str, speed: int, pitch: int, text: str) -> Tensor:
    """``text`` by SVOX Pico's voice ``name`` at ``speed`` / 175 of its pace and its F0 times
    2^((pitch − 50) / 50), through Pico's ``<speed>`` and ``<pitch>`` markup (percent levels)."""
    if any(c in text for c in "<>&"):
        raise ValueError(f"Voice.say: pico reads markup; expected text without <, > or &, got "
                         f"{text!r}")
    speed_level, pitch_level = _percent_levels(speed, pitch)
    marked = f"<speed level='{speed_level}'><pitch level='{pitch_level}'>{text}</pitch></speed>"
    return _synthesise("pico2wave", ["-l", name, "-w", "{out}", marked])


def _rhvoice(name: str, speed: int, pitch: int, text: str) -> Tensor:
    """``text`` by RHVoice's voice ``name`` at ``speed`` / 175 of its pace and its F0 times
    2^((pitch − 50) / 50): ``RHVoice-test``'s rate and pitch in percent of the voice's own."""
    _require("RHVoice-test")
    if not (RHVOICE_FOLDER / name).is_dir():
        raise ToolError(f"RHVoice voice {name!r} not found in {RHVOICE_FOLDER}; install the "
                        f"Debian package {_package('rhvoice-english')}")
    rate, f0 = _percent_levels(speed, pitch)
    return _synthesise("RHVoice-test", ["-p", name, "-r", str(rate), "-t", str(f0),
                                        "-o", "{out}"], stdin=text)


def _percent_levels(speed: int, pitch: int) -> tuple[int, int]:
    """Pico's and RHVoice's pace and F0 in percent of the voice's own: 100 · speed / 175 and
    100 · 2^((pitch − 50) / 50)."""
    return round(100 * speed / 175), round(100 * 2 ** ((pitch - 50) / 50))


def noise(seconds: float, colour: str = "white", amplitude: float = 0.5) -> Tensor:
    """sox's ``synth {colour}noise`` at 16 kHz, 16-bit: a waveform (⌊seconds · 16000⌋,)."""
    if colour not in NOISE_COLOURS:
        raise ValueError(f"noise: unknown colour {colour!r}, expected one of "
                         f"{', '.join(NOISE_COLOURS)}")
    if seconds <= 0 or not 0 < amplitude <= 1:
        raise ValueError(f"noise: expected seconds > 0 and amplitude in (0, 1], got {seconds} "
                         f"and {amplitude}")
    args = ["-R", "-n", "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "{out}",
            "synth", f"{seconds}", f"{colour}noise", "vol", f"{amplitude}"]
    return _synthesise("sox", args)[:int(seconds * SAMPLE_RATE)]


def mix_at_snr(signal: Tensor, background: Tensor, snr_db: float) -> Tensor:
    """signal + g · background with g chosen so that 10 log10(P_signal / P_{g·background}) = snr_db.

    P is the mean square; ``background`` (M,) is tiled or cropped to the signal's length (N,).
    """
    if signal.dim() != 1 or background.dim() != 1 or background.numel() == 0:
        raise ValueError(f"mix_at_snr: expected a signal (N,) and a non-empty background (M,), "
                         f"got {tuple(signal.shape)} and {tuple(background.shape)}")
    repeats = -(-signal.numel() // background.numel())  # ⌈N / M⌉
    n = background.repeat(repeats)[:signal.numel()].to(signal)
    p_signal, p_noise = signal.pow(2).mean(), n.pow(2).mean()
    if p_noise == 0:
        raise ValueError("mix_at_snr: expected a background with some energy, got silence")
    g = torch.sqrt(p_signal / (p_noise * 10 ** (snr_db / 10)))
    return signal + g * n
