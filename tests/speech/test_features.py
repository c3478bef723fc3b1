"""Log-mel features: HTK mel scale, triangular filterbank, STFT against numpy, normalisation,
SpecAugment masks, VTLP warping."""

import math

import numpy as np
import pytest
import torch

from seqkit.errors import ConfigError
from seqkit.speech.features import (
    FeatureConfig,
    hz_to_mel,
    log_mel_spectrogram,
    mel_filterbank,
    mel_to_hz,
    normalise,
    spec_augment,
    vtlp_warp,
)


def test_htk_mel_scale() -> None:
    f = torch.tensor([0.0, 700.0, 1000.0, 8000.0], dtype=torch.float64)
    expected = [0.0, 2595 * math.log10(2), 2595 * math.log10(1 + 1000 / 700),
                2595 * math.log10(1 + 8000 / 700)]
    torch.testing.assert_close(hz_to_mel(f), torch.tensor(expected, dtype=torch.float64))
    assert hz_to_mel(torch.tensor(1000.0)).item() == pytest.approx(1000.0, abs=0.1)
    torch.testing.assert_close(mel_to_hz(hz_to_mel(f)), f)


def test_filterbank_triangles_peak_at_mel_spaced_centres_and_sum_to_one() -> None:
    config = FeatureConfig(n_fft=2048, n_mels=10, f_min=100.0, f_max=6000.0)
    phi = mel_filterbank(config, torch.float64)  # (1025, 10)
    assert phi.shape == (1025, 10) and phi.min() >= 0 and phi.max() <= 1
    freqs = torch.linspace(0, 8000, 1025, dtype=torch.float64)
    lo, hi = hz_to_mel(torch.tensor([100.0, 6000.0], dtype=torch.float64)).tolist()
    points = mel_to_hz(torch.linspace(lo, hi, 12, dtype=torch.float64))  # F + 2 edges and centres
    peaks = freqs[phi.argmax(0)]  # the peak bin is one of the two bins around the centre
    assert ((peaks - points[1:-1]).abs() < 8000 / 1024).all()
    inside = (freqs >= points[1]) & (freqs <= points[-2])
    torch.testing.assert_close(phi[inside].sum(1), torch.ones(int(inside.sum()),
                                                               dtype=torch.float64))
    outside = (freqs <= points[0]) | (freqs >= points[-1])
    assert (phi[outside] == 0).all()


def _numpy_log_mel(x: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """The module docstring's equations in numpy: reflect-pad, frame, Hann, rfft, |·|², Φ, log."""
    n_fft, hop = config.n_fft, config.hop_length
    padded = np.pad(x, n_fft // 2, mode="reflect")
    n = np.arange(config.win_length)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * n / config.win_length)  # periodic Hann
    left = (n_fft - config.win_length) // 2
    window = np.zeros(n_fft)
    window[left:left + config.win_length] = w  # centred in the FFT frame, as torch.stft
    frames = np.stack([padded[t * hop:t * hop + n_fft] * window
                       for t in range(1 + len(x) // hop)])
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (T, n_fft/2 + 1)
    return np.log(power @ mel_filterbank(config, torch.float64).numpy() + config.eps)


@pytest.mark.parametrize("config", [FeatureConfig(),
                                    FeatureConfig(n_fft=512, win_length=300, hop_length=128,
                                                  n_mels=23, f_min=20.0, f_max=7600.0)])
def test_log_mel_equals_numpy_oracle(config: FeatureConfig) -> None:
    x = torch.randn(2, 3210, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    features = log_mel_spectrogram(x, config)
    T = config.num_frames(3210)
    assert features.shape == (2, T, config.n_mels) and features.dtype == torch.float64
    for b in range(2):
        np.testing.assert_allclose(features[b].numpy(), _numpy_log_mel(x[b].numpy(), config),
                                   rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(log_mel_spectrogram(x[1], config), features[1])


def test_tone_energy_lands_in_the_band_around_its_frequency() -> None:
    config = FeatureConfig()
    x = torch.sin(2 * math.pi * 1000.0 * torch.arange(16000) / 16000)
    best = log_mel_spectrogram(x, config).mean(0).argmax().item()
    centres = mel_to_hz(torch.linspace(0, hz_to_mel(torch.tensor(8000.0)).item(), 42))[1:-1]
    assert best == (centres - 1000.0).abs().argmin().item()


@pytest.mark.parametrize("alpha", [0.9, 0.95, 1.05, 1.1])
def test_vtlp_warp_is_piecewise_linear_and_keeps_zero_and_nyquist(alpha: float) -> None:
    f = torch.linspace(0, 8000, 801, dtype=torch.float64)
    warped = vtlp_warp(f, alpha, 8000.0)
    assert warped[0] == 0 and warped[-1] == pytest.approx(8000.0)
    assert (warped.diff() > 0).all()  # monotone: no two bins swap places
    f_cut = 0.6 * 8000 * min(alpha, 1) / alpha  # Jaitly & Hinton's boundary, F_hi = 4800 Hz
    low = f <= f_cut
    torch.testing.assert_close(warped[low], alpha * f[low])  # Eq. 1, below the boundary
    slopes = warped[~low].diff() / f[~low].diff()  # one straight line to (8000, 8000) above it
    torch.testing.assert_close(slopes, torch.full_like(slopes, slopes[0].item()))


def test_vtlp_identity_at_one_and_shifts_a_tone_with_alpha() -> None:
    config = FeatureConfig()
    assert torch.equal(mel_filterbank(config, warp=1.0), mel_filterbank(config))
    x = torch.sin(2 * math.pi * 1000.0 * torch.arange(16000) / 16000)
    plain = log_mel_spectrogram(x, config)
    assert torch.equal(log_mel_spectrogram(x, config, warp=1.0), plain)
    peak = {alpha: int(log_mel_spectrogram(x, config, warp=alpha).mean(0).argmax())
            for alpha in (0.8, 1.0, 1.25)}
    assert peak[0.8] < peak[1.0] < peak[1.25]  # α > 1 reads 1 kHz as 1.25 kHz: a higher band
    assert log_mel_spectrogram(x, config, warp=1.1).shape == plain.shape
    with pytest.raises(ValueError, match="vtlp_warp: expected a warp factor α > 0, got 0"):
        mel_filterbank(config, warp=0)


def test_normalise_per_utterance_over_real_frames() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 7, 3, generator=g, dtype=torch.float64) * 5 + 2
    lengths = torch.tensor([7, 4])
    out = normalise(x, lengths)
    for b, n in enumerate(lengths.tolist()):
        single = normalise(x[b, :n])
        torch.testing.assert_close(out[b, :n], single)
        torch.testing.assert_close(single.mean(0), torch.zeros(3, dtype=torch.float64))
        torch.testing.assert_close(single.var(0, unbiased=False),
                                   torch.full((3,), 1.0, dtype=torch.float64), atol=1e-5, rtol=0)
    assert (out[1, 4:] == 0).all()


def test_spec_augment_masks_whole_bands_and_frames_deterministically() -> None:
    x = torch.randn(50, 20, generator=torch.Generator().manual_seed(0)) + 10  # no zero values
    kwargs = {"freq_masks": 1, "freq_width": 5, "time_masks": 1, "time_width": 10}
    out = spec_augment(x, generator=torch.Generator().manual_seed(3), **kwargs)
    again = spec_augment(x, generator=torch.Generator().manual_seed(3), **kwargs)
    torch.testing.assert_close(out, again)
    assert (x > 0).all()  # the input is untouched
    zero = out == 0
    bands = zero.all(0).nonzero().flatten().tolist()
    frames = zero.all(1).nonzero().flatten().tolist()
    assert 0 < len(bands) <= 5 and 0 < len(frames) <= 10
    assert bands == list(range(bands[0], bands[0] + len(bands)))  # one mask: contiguous
    assert frames == list(range(frames[0], frames[0] + len(frames)))
    masked = torch.zeros_like(zero)
    masked[:, bands] = True
    masked[frames, :] = True
    assert torch.equal(zero, masked)  # nothing else is zero
    assert torch.equal(spec_augment(x, 0, 5, 0, 10), x)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"win_length": 500}, r"features\.win_length: expected in \[1, 400\], got 500"),
    ({"f_max": 9000.0}, r"features\.f_max: expected ≤ 8000\.0 \(sample_rate / 2\), got 9000\.0"),
    ({"hop_length": 0}, r"features\.hop_length: expected ≥ 1, got 0"),
])
def test_config_errors_name_their_key(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        FeatureConfig(**kwargs)


def test_input_errors() -> None:
    with pytest.raises(ValueError, match=r"log_mel_spectrogram: expected a float waveform of "
                                         r"shape \(N,\) or \(B, N\), got torch.int64"):
        log_mel_spectrogram(torch.zeros(1000, dtype=torch.long))
    with pytest.raises(ValueError, match="expected more than n_fft/2 = 200 samples, got 100"):
        log_mel_spectrogram(torch.zeros(100))
