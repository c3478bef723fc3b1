"""Audio in and out: WAV files as mono waveforms at 16 kHz, and a windowed-sinc resampler.

A waveform is a float tensor of samples in [−1, 1]: shape (N,) for one signal, (..., N) for many.
WAV parsing is scipy's (PCM 8/16/24/32-bit, 32/64-bit float, WAVE_FORMAT_EXTENSIBLE); every
channel is averaged into one, and the signal is resampled to ``SAMPLE_RATE``.

Resampling by a rational factor up/down (after dividing both rates by their gcd) evaluates the
band-limited interpolation of x at the output instants n·down/up (in input samples):

    y[n] = Σ_k x[k] · h(n·down/up − k),   h(τ) = c · sinc(c τ) · w(τ / W),   c = min(1, up/down)

sinc(u) = sin(πu)/(πu); c is the cutoff as a fraction of the input's Nyquist frequency (a low-pass
below the output's Nyquist when downsampling, against aliasing); w is a Hann window,
w(u) = cos²(πu/2) for |u| ≤ 1, 0 beyond; W = zeros / c input samples spans ``zeros`` zero
crossings of the sinc on each side. Output n = m·up + j depends only on the phase j, whose
taps h(j·down/up − k) form one of ``up`` filters: a polyphase bank run as one strided conv1d.

Speed perturbation (Ko et al. 2015) plays a waveform ``factor`` times faster by reading it as
sampled at factor · 16 kHz and resampling to 16 kHz: tempo, pitch and formants all scale by
``factor``, and N samples become ⌈N / factor⌉.

A channel (microphone, loudspeaker, another synthesiser's vocoder) colours the spectrum; the
``equalise`` filter imitates one with a zero-phase gain over frequency f (clamped to ≥ 100 Hz):

    G(f) = 10^(s · log2(f / 1000 Hz) / 20) / √(1 + (f / f_c)^8)

a spectral tilt of s dB per octave around 1 kHz times a 4th-order Butterworth low-pass magnitude
with cutoff f_c (None: no low-pass), applied as X(f) · G(f) on the waveform's real FFT.

Statistical parametric synthesisers (flite's awb, rms and slt, HMM voices) speak through a
smooth, low-order spectral envelope: formants blur, trajectories glide and stop closures are
never silent. ``smooth_envelope`` gives any recording that look. On the STFT X_t(f) (Hann window
of ``n_fft``, hop ``hop_length``), log |X_t(f)| = log E_t(f) + log R_t(f): the envelope E_t keeps
the first ``order`` cepstral coefficients of log |X_t| (c_t = IDFT(log |X_t|), lifter |q| < order),
R_t is the fine structure (harmonics, noise). The new envelope is E_t averaged over ``frames``
frames (edge-padded) and floored at ``floor_db`` below its loudest frame in each band,

    log E'_t(f) = max(mean_{k ∈ K} log E_{t+k}(f),  max_t log E_t(f) − floor_db / 8.686)

K the ``frames`` offsets around 0 (−⌊frames/2⌋ … ⌈frames/2⌉ − 1), and
Y_t(f) = X_t(f) · E'_t(f) / E_t(f) is turned back into a waveform of the same length.
"""

import math
import struct
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from scipy.io import wavfile
from torch import Tensor

from seqkit.data.errors import DataError
from seqkit.files import atomic_path

SAMPLE_RATE = 16_000  # Hz, the rate of every waveform seqkit.speech computes features of
_FULL_SCALE = {np.dtype(np.uint8): 128.0, np.dtype(np.int16): 2.0 ** 15,
               np.dtype(np.int32): 2.0 ** 31}  # scipy left-justifies 24-bit samples in int32


def read_wav(path: str | Path, sample_rate: int | None = SAMPLE_RATE) -> Tensor:
    """The WAV file at ``path`` as a mono float32 waveform (N,) at ``sample_rate`` Hz.

    Integer PCM is scaled to [−1, 1) (8-bit is unsigned, centred at 128); channels are averaged.
    ``sample_rate=None`` keeps the file's rate (see :func:`read_wav_with_rate`). A missing,
    unreadable or empty file raises a one-line :class:`~seqkit.data.DataError` naming it.
    """
    waveform, rate = read_wav_with_rate(path)
    return waveform if sample_rate is None else resample(waveform, rate, sample_rate)


def read_wav_with_rate(path: str | Path) -> tuple[Tensor, int]:
    """The WAV file at ``path`` as a mono float32 waveform (N,) at its own rate, and that rate."""
    try:
        with warnings.catch_warnings():  # scipy warns of chunks it skips (LIST, fact, ...)
            warnings.simplefilter("ignore", wavfile.WavFileWarning)
            rate, data = wavfile.read(path)
    except (OSError, ValueError, EOFError, struct.error) as error:  # struct: a cut-off header
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataError(f"{path}: cannot read WAV audio: {reason}") from None
    if data.size == 0:
        raise DataError(f"{path}: empty WAV audio (no samples)")
    samples = data.astype(np.float64)
    if data.dtype == np.uint8:
        samples -= 128.0
    samples /= _FULL_SCALE.get(data.dtype, 1.0)  # float data is already in [−1, 1]
    if samples.ndim == 2:  # (N, channels)
        samples = samples.mean(axis=1)
    return torch.from_numpy(samples.astype(np.float32)), int(rate)


def write_wav(path: str | Path, waveform: Tensor, sample_rate: int = SAMPLE_RATE) -> None:
    """Write a mono waveform (N,) in [−1, 1] as 16-bit PCM, atomically (clipping beyond ±1)."""
    if waveform.dim() != 1:
        raise ValueError(f"write_wav: expected a mono waveform of shape (N,), got "
                         f"{tuple(waveform.shape)}")
    pcm = (waveform.detach().double().clamp(-1.0, 1.0) * 32767.0).round().short().cpu().numpy()
    path = Path(path)
    with atomic_path(path) as tmp:
        wavfile.write(tmp, sample_rate, pcm)


def resample(waveform: Tensor, orig_rate: int, new_rate: int, zeros: int = 16) -> Tensor:
    """``waveform`` (..., N) at ``orig_rate`` Hz resampled to ``new_rate`` Hz: (..., ⌈N·up/down⌉).

    The windowed-sinc interpolation of the module docstring, ``zeros`` zero crossings per side
    (more: a sharper low-pass and a longer filter). Equal rates return the input unchanged.
    """
    for name, rate in (("orig_rate", orig_rate), ("new_rate", new_rate)):
        if not isinstance(rate, int) or rate <= 0:
            raise ValueError(f"resample: expected {name} to be a positive int, got {rate!r}")
    if not waveform.is_floating_point():
        raise TypeError(f"resample: expected a floating-point waveform, got {waveform.dtype}")
    if orig_rate == new_rate:
        return waveform
    g = math.gcd(orig_rate, new_rate)
    up, down = new_rate // g, orig_rate // g
    h, W = _polyphase_filters(up, down, zeros, waveform.dtype, waveform.device)  # (up, L)
    *lead, N = waveform.shape
    x = waveform.reshape(-1, 1, N)  # (B', 1, N)
    # output m·up + j reads inputs k = m·down − W … m·down + W + down; pad so that m = 0 fits
    x = F.pad(x, (W, W + down))
    y = F.conv1d(x, h.unsqueeze(1), stride=down)  # (B', up, M): y[:, j, m] = output m·up + j
    y = y.transpose(1, 2).reshape(x.shape[0], -1)  # (B', M·up)
    return y[:, :math.ceil(N * up / down)].reshape(*lead, -1)


def _polyphase_filters(up: int, down: int, zeros: int, dtype: torch.dtype,
                       device: torch.device) -> tuple[Tensor, int]:
    """The ``up`` filters h(j·down/up − k), k = −W … W + down, as (up, 2W + down + 1), and W."""
    c = min(1.0, up / down)
    W = math.ceil(zeros / c)
    k = torch.arange(-W, W + down + 1, dtype=torch.float64, device=device)  # (L,)
    j = torch.arange(up, dtype=torch.float64, device=device).unsqueeze(1)  # (up, 1)
    tau = j * down / up - k  # (up, L), distance in input samples from output j to input k
    window = torch.where(tau.abs() <= W, torch.cos(math.pi * tau / (2 * W)) ** 2, 0.0)
    h = c * torch.sinc(c * tau) * window  # conv1d correlates: tap k meets input m·down + k
    return h.to(dtype), W


def change_speed(waveform: Tensor, factor: float, resolution: int = 100) -> Tensor:
    """``waveform`` (..., N) played ``factor`` times faster: (..., ⌈N / factor⌉), factor rounded
    to a multiple of 1/``resolution`` (which keeps the resampler's polyphase bank small)."""
    orig = round(factor * resolution)
    if orig < 1:
        raise ValueError(f"change_speed: expected a factor ≥ 1/{resolution}, got {factor}")
    return resample(waveform, orig, resolution)


def equalise(waveform: Tensor, tilt: float, cutoff: float | None = None,
             sample_rate: int = SAMPLE_RATE) -> Tensor:
    """``waveform`` (..., N) through G(f) of the module docstring: ``tilt`` s in dB per octave
    around 1 kHz (> 0: brighter), low-pass ``cutoff`` f_c in Hz (None: none). (..., N)."""
    if cutoff is not None and cutoff <= 0:
        raise ValueError(f"equalise: expected a cutoff > 0 Hz, got {cutoff}")
    N = waveform.shape[-1]
    f = torch.fft.rfftfreq(N, 1 / sample_rate, dtype=torch.float64,
                           device=waveform.device).clamp(min=100.0)
    G = 10 ** (tilt * torch.log2(f / 1000) / 20)
    if cutoff is not None:
        G = G / torch.sqrt(1 + (f / cutoff) ** 8)
    X = torch.fft.rfft(waveform.double(), dim=-1)
    return torch.fft.irfft(X * G, n=N, dim=-1).to(waveform.dtype)


def smooth_envelope(waveform: Tensor, order: int, frames: int, floor_db: float,
                    n_fft: int = 512, hop_length: int = 80) -> Tensor:
    """``waveform`` (N,) with its spectral envelope smoothed (module docstring): cepstral
    ``order`` q, moving average over ``frames`` STFT frames, floor ``floor_db`` below each
    band's loudest frame. (N,), the input's dtype."""
    if not 1 <= order <= n_fft // 2 or frames < 1 or floor_db <= 0:
        raise ValueError(f"smooth_envelope: expected order in [1, {n_fft // 2}], frames ≥ 1 and "
                         f"floor_db > 0, got {order}, {frames} and {floor_db}")
    window = torch.hann_window(n_fft, dtype=torch.float64, device=waveform.device)
    X = torch.stft(waveform.double(), n_fft, hop_length, window=window,
                   return_complex=True)  # (F, T)
    log_X = X.abs().clamp(min=1e-10).log()
    c = torch.fft.irfft(log_X, n=n_fft, dim=0)  # (n_fft, T) real cepstrum per frame
    c[order:n_fft - order + 1] = 0
    log_E = torch.fft.rfft(c, dim=0).real  # (F, T)
    padded = F.pad(log_E[None], (frames // 2, (frames - 1) // 2), mode="replicate")[0]
    smoothed = padded.unfold(1, frames, 1).mean(2)  # (F, T)
    log_E2 = torch.maximum(smoothed, log_E.amax(1, keepdim=True) - floor_db / (20 / math.log(10)))
    Y = X * (log_E2 - log_E).exp()
    y = torch.istft(Y, n_fft, hop_length, window=window, length=waveform.shape[-1])
    return y.to(waveform.dtype)
