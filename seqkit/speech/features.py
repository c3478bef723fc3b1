"""Log-mel spectrogram features: STFT power, an HTK mel filterbank, per-utterance normalisation,
and SpecAugment-style masking.

For a waveform x at ``sample_rate`` Hz, frame t is the ``win_length`` samples around t·hop
(``center``: the signal is reflect-padded by n_fft/2 on both sides, so T = 1 + ⌊N / hop⌋),
weighted by a periodic Hann window w and transformed:

    X<t>(f) = Σ_n x[t·hop + n] w[n] e^{−2πi f n / n_fft},   f = 0 … n_fft/2     (torch.stft)
    P<t>(f) = |X<t>(f)|²                                                      power spectrum
    M<t>(m) = Σ_f P<t>(f) · Φ(f, m)                                           mel energies
    feature<t>(m) = log(M<t>(m) + ε)

The mel scale is HTK's, mel(f) = 2595 · log10(1 + f / 700) (so mel(1000 Hz) ≈ 1000). Filter m of Φ
is a triangle over FFT-bin frequencies, rising from mel point m to 1 at point m + 1 and falling
to 0 at point m + 2, the n_mels + 2 points evenly spaced in mel from f_min to f_max. Adjacent
triangles sum to 1 between the first and last centres; the peaks are 1 (no area normalisation,
unlike Slaney's filterbank).

Vocal-tract-length perturbation (VTLP; Jaitly & Hinton 2013, Eq. 1) warps the frequency axis
before the filterbank sees it: bin frequency f is read as f' = α·f up to f_cut = F_hi·min(α, 1)/α
and linearly after it, so that the Nyquist frequency S/2 stays put:

    f' = α f                                                      f ≤ f_cut
    f' = S/2 − (S/2 − F_hi·min(α, 1)) / (S/2 − f_cut) · (S/2 − f)    f > f_cut

F_hi = 0.6 · S/2 (their 4800 Hz of 8 kHz). α > 1 moves formants up (a shorter vocal tract),
α < 1 down; α = 1 is the plain filterbank.

Shape symbols (docs/notation.md): B batch, N samples, T frames, F mel bands (``n_mels``).
"""

from dataclasses import dataclass

import torch
from torch import Tensor

from seqkit.config import require
from seqkit.speech.audio import SAMPLE_RATE


@dataclass(frozen=True)
class FeatureConfig:
    """Log-mel settings; the defaults are 25 ms windows every 10 ms at 16 kHz, 40 mel bands."""

    sample_rate: int = SAMPLE_RATE  # Hz of the input waveform
    n_fft: int = 400  # FFT size in samples (n_fft/2 + 1 frequency bins)
    win_length: int = 400  # Hann window length in samples, ≤ n_fft (25 ms at 16 kHz)
    hop_length: int = 160  # samples between frames (10 ms at 16 kHz: 100 frames/s)
    n_mels: int = 40  # F, mel bands
    f_min: float = 0.0  # Hz, lower edge of the lowest band
    f_max: float | None = None  # Hz, upper edge of the highest band; None: sample_rate / 2
    eps: float = 1e-6  # ε inside log(M + ε): silence gives log ε, not −inf

    def __post_init__(self) -> None:
        require(self.sample_rate > 0, "features.sample_rate", "> 0", self.sample_rate)
        require(self.n_fft >= 2, "features.n_fft", "≥ 2", self.n_fft)
        require(1 <= self.win_length <= self.n_fft, "features.win_length", f"in [1, {self.n_fft}]",
                self.win_length)
        require(self.hop_length >= 1, "features.hop_length", "≥ 1", self.hop_length)
        require(self.n_mels >= 1, "features.n_mels", "≥ 1", self.n_mels)
        nyquist = self.sample_rate / 2
        require(0 <= self.f_min < self.top, "features.f_min", f"in [0, {self.top})", self.f_min)
        require(self.top <= nyquist, "features.f_max", f"≤ {nyquist} (sample_rate / 2)",
                self.f_max)
        require(self.eps > 0, "features.eps", "> 0", self.eps)

    @property
    def top(self) -> float:
        """f_max, or the Nyquist frequency when unset."""
        return self.sample_rate / 2 if self.f_max is None else self.f_max

    def num_frames(self, num_samples: int) -> int:
        """T = 1 + ⌊N / hop⌋, the frames of an N-sample waveform."""
        return 1 + num_samples // self.hop_length


def hz_to_mel(f: Tensor) -> Tensor:
    """HTK mel scale: 2595 · log10(1 + f / 700)."""
    return 2595.0 * torch.log10(1.0 + f / 700.0)


def mel_to_hz(mel: Tensor) -> Tensor:
    """The inverse of :func:`hz_to_mel`: 700 · (10^(mel / 2595) − 1)."""
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


VTLP_BOUNDARY = 0.6  # F_hi / (S/2) of the VTLP warp (Jaitly & Hinton: 4800 Hz of 8 kHz)


def vtlp_warp(f: Tensor, alpha: float, nyquist: float) -> Tensor:
    """f' of the module docstring's VTLP warp, for frequencies f in [0, ``nyquist``] (Hz)."""
    if alpha <= 0:
        raise ValueError(f"vtlp_warp: expected a warp factor α > 0, got {alpha}")
    if alpha == 1:
        return f
    f_hi = VTLP_BOUNDARY * nyquist
    f_cut = f_hi * min(alpha, 1.0) / alpha
    slope = (nyquist - f_hi * min(alpha, 1.0)) / (nyquist - f_cut)
    return torch.where(f <= f_cut, alpha * f, nyquist - slope * (nyquist - f))


def mel_filterbank(config: FeatureConfig, dtype: torch.dtype = torch.float32,
                   device: torch.device | None = None, warp: float = 1.0) -> Tensor:
    """Φ, (n_fft/2 + 1, F): column m is the triangle of band m over the FFT bins' frequencies,
    read through the VTLP warp f → f' with α = ``warp`` (1: no warp)."""
    n_freqs = config.n_fft // 2 + 1
    nyquist = config.sample_rate / 2
    freqs = torch.linspace(0, nyquist, n_freqs, dtype=torch.float64, device=device)
    freqs = vtlp_warp(freqs, warp, nyquist)  # bin f feeds the bands around f'
    lo, hi = hz_to_mel(torch.tensor([config.f_min, config.top], dtype=torch.float64))
    points = mel_to_hz(torch.linspace(float(lo), float(hi), config.n_mels + 2,
                                      dtype=torch.float64, device=device))  # (F + 2,) Hz
    left, centre, right = points[:-2], points[1:-1], points[2:]  # (F,) each
    f = freqs.unsqueeze(1)  # (n_freqs, 1)
    rising = (f - left) / (centre - left)
    falling = (right - f) / (right - centre)
    return torch.minimum(rising, falling).clamp(min=0).to(dtype)  # (n_freqs, F)


def log_mel_spectrogram(waveform: Tensor, config: FeatureConfig | None = None,
                        warp: float = 1.0) -> Tensor:
    """log(M<t>(m) + ε) of a waveform (N,) → (T, F), or a batch (B, N) → (B, T, F); ``warp``
    is the VTLP factor α of the filterbank (1: none)."""
    config = config or FeatureConfig()
    if waveform.dim() not in (1, 2) or not waveform.is_floating_point():
        raise ValueError(f"log_mel_spectrogram: expected a float waveform of shape (N,) or "
                         f"(B, N), got {waveform.dtype} of shape {tuple(waveform.shape)}")
    if waveform.shape[-1] <= config.n_fft // 2:
        raise ValueError(f"log_mel_spectrogram: expected more than n_fft/2 = "
                         f"{config.n_fft // 2} samples, got {waveform.shape[-1]}")
    window = torch.hann_window(config.win_length, periodic=True, dtype=waveform.dtype,
                               device=waveform.device)
    X = torch.stft(waveform, config.n_fft, config.hop_length, config.win_length, window,
                   center=True, pad_mode="reflect", return_complex=True)  # (B?, n_freqs, T)
    power = X.real ** 2 + X.imag ** 2
    phi = mel_filterbank(config, waveform.dtype, waveform.device, warp)  # (n_freqs, F)
    mel = power.transpose(-1, -2) @ phi  # (B?, T, F)
    return torch.log(mel + config.eps)


def normalise(features: Tensor, lengths: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Per-utterance, per-band mean and variance normalisation over the real frames.

    feature<t>(m) ← (feature<t>(m) − μ(m)) / √(σ²(m) + eps), μ and σ² over t < length. Input
    (T, F) or (B, T, F) with lengths (B,) (None: all T); padding frames come out as 0.
    """
    batched = features.dim() == 3
    x = features if batched else features.unsqueeze(0)  # (B, T, F)
    if x.dim() != 3:
        raise ValueError(f"normalise: expected features of shape (T, F) or (B, T, F), got "
                         f"{tuple(features.shape)}")
    B, T, _ = x.shape
    if lengths is None:
        lengths = torch.full((B,), T, device=x.device)
    mask = (torch.arange(T, device=x.device) < lengths.to(x.device).unsqueeze(1))  # (B, T)
    mask = mask.unsqueeze(2).to(x.dtype)  # (B, T, 1)
    count = mask.sum(1, keepdim=True).clamp(min=1)  # (B, 1, 1)
    mu = (x * mask).sum(1, keepdim=True) / count  # (B, 1, F)
    var = (((x - mu) * mask) ** 2).sum(1, keepdim=True) / count  # (B, 1, F), biased
    out = (x - mu) / torch.sqrt(var + eps) * mask
    return out if batched else out.squeeze(0)


def spec_augment(features: Tensor, freq_masks: int = 2, freq_width: int = 8, time_masks: int = 2,
                 time_width: int = 20, generator: torch.Generator | None = None,
                 value: float = 0.0) -> Tensor:
    """SpecAugment's masking (Park et al., 2019), without time warping, on a copy of (T, F).

    Each of ``freq_masks`` masks sets bands [f0, f0 + f) to ``value`` with f uniform in
    [0, freq_width] and f0 uniform in [0, F − f]; likewise ``time_masks`` masks of up to
    ``time_width`` frames. Masks may overlap. 0 is the mean of normalised features.
    """
    if features.dim() != 2:
        raise ValueError(f"spec_augment: expected features of shape (T, F), got "
                         f"{tuple(features.shape)}")
    out = features.clone()
    T, F = out.shape
    for count, width, size, dim in ((freq_masks, freq_width, F, 1), (time_masks, time_width, T, 0)):
        for _ in range(count):
            w = int(torch.randint(0, min(width, size) + 1, (), generator=generator))
            start = int(torch.randint(0, size - w + 1, (), generator=generator))
            out.narrow(dim, start, w).fill_(value)
    return out

