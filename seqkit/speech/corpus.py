"""Synthesised speech corpora: made in parallel, kept as one file per split, heard through the
conditions of real recordings.

A split is stored as :class:`Waveforms`: every utterance's 16 kHz samples as 16-bit integers one
after the other, the offsets where each starts, its transcript and the voice that spoke it (None
in files made before voices were kept), saved with ``torch.save`` (a plain-tensor file that
``torch.load(weights_only=True)`` reads). :func:`synthesise` runs a picklable ``make(i)`` →
(waveform, text, voice) for i = 0 … n − 1 over several processes (each utterance from its own
seed, so the result does not depend on the number of processes) and prints progress.

:func:`condition` plays an utterance as a recording might be: at a random level (quiet to loud),
sometimes through a telephone (8 kHz: nothing above 4 kHz), with silence before and after, under
white noise at a random signal-to-noise ratio.
"""

import multiprocessing
import random
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import torch
from torch import Tensor

from seqkit.data.errors import DataError
from seqkit.files import atomic_path
from seqkit.speech.audio import SAMPLE_RATE, resample
from seqkit.status import status

TELEPHONE_RATE = 8_000  # Hz: a telephone line keeps 300–3400 Hz; 8 kHz sampling keeps < 4 kHz


class Waveforms(NamedTuple):
    """A split's utterances: waveform i is ``samples[offsets[i]:offsets[i + 1]] / 32767``."""

    samples: Tensor  # (ΣN,) int16
    offsets: Tensor  # (n + 1,) long
    texts: list[str]  # transcript (or label) of each utterance
    voices: list[str] | None = None  # the voice of each (Voice.speaker), None: not recorded

    def __len__(self) -> int:
        return len(self.texts)

    def waveform(self, i: int) -> Tensor:
        """Utterance i as float32 (N_i,) in [−1, 1]."""
        return self.samples[self.offsets[i]:self.offsets[i + 1]].float() / 32767.0

    def num_samples(self) -> list[int]:
        """N_i of every utterance."""
        return self.offsets.diff().tolist()


def pack(waveforms: list[Tensor], texts: list[str],
         voices: list[str] | None = None) -> Waveforms:
    """Float waveforms (N_i,) in [−1, 1] (clipped beyond) as :class:`Waveforms`."""
    for name, values in (("text", texts), ("voice", voices)):
        if values is not None and len(values) != len(waveforms):
            raise ValueError(f"pack: expected one {name} per waveform, got {len(values)} "
                             f"{name}s for {len(waveforms)} waveforms")
    pcm = [(w.clamp(-1, 1) * 32767.0).round().short() for w in waveforms]
    lengths = torch.tensor([0] + [p.numel() for p in pcm])
    samples = torch.cat(pcm) if pcm else torch.zeros(0, dtype=torch.int16)
    return Waveforms(samples, lengths.cumsum(0), list(texts),
                     None if voices is None else list(voices))


def save(path: str | Path, waveforms: Waveforms) -> None:
    """Write ``waveforms`` to ``path`` atomically (a reader sees no file or the whole file)."""
    with atomic_path(Path(path)) as tmp:
        torch.save(waveforms._asdict(), tmp)


def load(path: str | Path) -> Waveforms:
    """The :class:`Waveforms` saved at ``path``; a missing or foreign file is a DataError."""
    try:
        data = torch.load(path, weights_only=True)
        voices = data.get("voices")
        return Waveforms(data["samples"], data["offsets"], list(data["texts"]),
                         None if voices is None else list(voices))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file (run the recipe's data preparer)") from None
    except (OSError, RuntimeError, KeyError, TypeError) as error:
        raise DataError(f"{path}: not a speech corpus file ({type(error).__name__}: "
                        f"{str(error).splitlines()[0] if str(error) else ''})") from None


def synthesise(make: Callable[[int], tuple[Tensor, str, str]], count: int, processes: int,
               what: str) -> Waveforms:
    """``make(i)`` for i < ``count`` over ``processes`` processes (1: here), with progress lines
    naming ``what``; ``make`` must be picklable (a module-level function or a partial of one)."""
    results: list[tuple[Tensor, str, str]] = []
    step = max(1, count // 10)
    if processes <= 1:
        iterator = map(make, range(count))
        results = _collect(iterator, count, step, what)
    else:  # spawn: a forked child of a process that ran torch's thread pool can hang
        # one torch thread each: the processes already use the cores
        with multiprocessing.get_context("spawn").Pool(processes, torch.set_num_threads,
                                                        (1,)) as pool:
            iterator = pool.imap(make, range(count), chunksize=8)
            results = _collect(iterator, count, step, what)
    waveforms, texts, voices = zip(*results, strict=True) if results else ((), (), ())
    return pack(list(waveforms), list(texts), list(voices))


def _collect(iterator, count: int, step: int, what: str) -> list[tuple[Tensor, str, str]]:
    results = []
    for i, result in enumerate(iterator, 1):
        results.append(result)
        if i % step == 0 or i == count:
            status(f"{what}: {i}/{count} utterances ({100 * i // count}%)")
    return results


def condition(waveform: Tensor, rng: random.Random, telephone: float = 0.25,
              peak_db: tuple[float, float] = (-40.0, -1.0), silence: float = 0.6,
              snr_db: tuple[float, float] = (15.0, 45.0)) -> Tensor:
    """``waveform`` (N,) as a recording: through a telephone with probability ``telephone``,
    scaled to a peak of 10^(dB/20) with dB uniform in ``peak_db`` (−40 dB: very quiet, −1 dB:
    loud), with 0 … ``silence`` s of silence on each side, and white noise at a signal-to-noise
    ratio uniform in ``snr_db``. Returns (N',), N' ≥ N."""
    x = waveform.double()
    if rng.random() < telephone:
        x = resample(resample(x, SAMPLE_RATE, TELEPHONE_RATE), TELEPHONE_RATE, SAMPLE_RATE)
    peak = x.abs().max().clamp(min=1e-9)
    x = x / peak * 10 ** (rng.uniform(*peak_db) / 20)
    before, after = (int(rng.uniform(0, silence) * SAMPLE_RATE) for _ in range(2))
    p_speech = x.pow(2).mean()  # P of the speech alone: the SNR is over the speech
    x = torch.nn.functional.pad(x, (before, after))
    generator = torch.Generator().manual_seed(rng.getrandbits(63))
    hiss = torch.randn(x.numel(), generator=generator, dtype=torch.float64)  # P = 1
    g = torch.sqrt(p_speech / 10 ** (rng.uniform(*snr_db) / 10))  # 10 log10(P_speech / g²) = SNR
    return (x + g * hiss).float().clamp(-1, 1)

