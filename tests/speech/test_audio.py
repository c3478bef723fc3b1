"""WAV reading (every common encoding, channels averaged), atomic writing, windowed-sinc
resampling, speed perturbation, the equalising channel filter, envelope smoothing."""

import math
import wave
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.io import wavfile

from seqkit.data import DataError
from seqkit.speech.audio import (
    change_speed,
    equalise,
    read_wav,
    read_wav_with_rate,
    resample,
    smooth_envelope,
    write_wav,
)


def _tone(freq: float, rate: int, seconds: float = 1.0, dtype=torch.float64) -> torch.Tensor:
    n = torch.arange(int(rate * seconds), dtype=torch.float64)
    return torch.sin(2 * math.pi * freq * n / rate).to(dtype)


def _peak_hz(x: torch.Tensor, rate: int) -> float:
    """Frequency of the largest FFT bin, refined by parabolic interpolation of the log peak."""
    spectrum = np.abs(np.fft.rfft(x.numpy() * np.hanning(len(x)), n=8 * len(x)))
    k = int(spectrum.argmax())
    a, b, c = np.log(spectrum[k - 1:k + 2])
    return (k + 0.5 * (a - c) / (a - 2 * b + c)) * rate / (8 * len(x))


@pytest.mark.parametrize(("orig", "new", "freq"), [
    (22050, 16000, 440.0), (8000, 16000, 1000.0), (44100, 16000, 3000.0), (48000, 16000, 5000.0),
])
def test_resampled_tone_keeps_its_frequency_and_samples(orig: int, new: int, freq: float) -> None:
    y = resample(_tone(freq, orig), orig, new)
    assert y.shape == (new,) and y.dtype == torch.float64
    assert _peak_hz(y, new) == pytest.approx(freq, abs=0.5)
    inner = slice(100, -100)  # the filter sees zeros beyond the ends
    torch.testing.assert_close(y[inner], _tone(freq, new)[inner], atol=5e-4, rtol=0)


def test_downsampling_removes_frequencies_above_the_new_nyquist() -> None:
    y = resample(_tone(7000.0, 48000), 48000, 8000)  # 7 kHz > 4 kHz: must not alias to 1 kHz
    assert y[100:-100].abs().max() < 2e-3


def test_simple_cases() -> None:
    x = torch.randn(3, 2, 101, generator=torch.Generator().manual_seed(0))
    assert resample(x, 16000, 16000) is x
    assert resample(x, 16000, 8000).shape == (3, 2, 51)  # ⌈101 · 1/2⌉
    assert resample(x, 8000, 22050).shape == (3, 2, 279)  # ⌈101 · 441/160⌉
    up = resample(x, 8000, 16000)
    torch.testing.assert_close(up[..., ::2], x, atol=1e-6, rtol=0)  # even outputs are inputs
    dc = resample(torch.ones(2000), 22050, 16000)  # 1452 samples
    torch.testing.assert_close(dc[100:-100], torch.ones(1452 - 200), atol=1e-3, rtol=0)


@pytest.mark.parametrize("factor", [0.9, 0.95, 1.07, 1.1])
def test_change_speed_scales_length_and_frequency(factor: float) -> None:
    x = _tone(500.0, 16000)
    y = change_speed(x, factor)
    assert y.shape == (math.ceil(16000 / factor),)  # N / factor samples, rounded up
    assert _peak_hz(y, 16000) == pytest.approx(500.0 * factor, abs=0.5)


def test_change_speed_is_the_identity_at_one_and_rounds_the_factor() -> None:
    x = torch.randn(2, 999, generator=torch.Generator().manual_seed(0))
    assert change_speed(x, 1.0) is x and change_speed(x, 1.004) is x  # 1.004 rounds to 100/100
    torch.testing.assert_close(change_speed(x, 1.104), change_speed(x, 1.1))
    with pytest.raises(ValueError, match=r"change_speed: expected a factor ≥ 1/100, got 0.001"):
        change_speed(x, 0.001)


@pytest.mark.parametrize(("tilt", "cutoff"), [(0.0, None), (6.0, None), (-4.5, 3000.0)])
@pytest.mark.parametrize("freq", [250.0, 1000.0, 3000.0, 6000.0])
def test_equalise_scales_a_tone_by_the_gain_curve(tilt: float, cutoff: float | None,
                                                  freq: float) -> None:
    x = _tone(freq, 16_000)  # a whole number of periods: one FFT bin
    octaves = math.log2(freq / 1000)
    gain = 10 ** (tilt * octaves / 20) / math.sqrt(1 + (freq / cutoff) ** 8 if cutoff else 1)
    torch.testing.assert_close(equalise(x, tilt, cutoff), gain * x, rtol=0, atol=1e-9)


def test_equalise_at_the_cutoff_halves_the_power_and_keeps_shape_and_dtype() -> None:
    x = torch.stack([_tone(2000.0, 16_000, dtype=torch.float32), _tone(500.0, 16_000,
                                                                      dtype=torch.float32)])
    y = equalise(x, 0.0, 2000.0)
    assert y.shape == x.shape and y.dtype == torch.float32
    assert y[0].pow(2).mean() / x[0].pow(2).mean() == pytest.approx(0.5, abs=1e-4)
    assert y[1].pow(2).mean() / x[1].pow(2).mean() == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValueError, match=r"equalise: expected a cutoff > 0 Hz, got 0"):
        equalise(x, 0.0, 0)


def test_resample_errors() -> None:
    with pytest.raises(ValueError, match="resample: expected orig_rate to be a positive int"):
        resample(torch.zeros(4), 0, 16000)
    with pytest.raises(TypeError, match=r"resample: expected a floating-point waveform, got "
                                        r"torch\.int64"):
        resample(torch.zeros(4, dtype=torch.long), 8000, 16000)


def _write_24bit(path: Path, samples: np.ndarray, rate: int) -> None:
    ints = np.round(samples * 2 ** 23).astype(np.int32)
    raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints.reshape(-1))
    with wave.open(str(path), "wb") as f:
        f.setnchannels(samples.shape[1] if samples.ndim == 2 else 1)
        f.setsampwidth(3)
        f.setframerate(rate)
        f.writeframes(raw)


@pytest.mark.parametrize("encoding", ["uint8", "int16", "int24", "int32", "float32", "float64"])
def test_read_every_encoding_and_average_channels(tmp_path: Path, encoding: str) -> None:
    rng = np.random.default_rng(0)
    stereo = rng.uniform(-0.9, 0.9, size=(800, 2))  # (N, channels)
    path = tmp_path / f"{encoding}.wav"
    if encoding == "int24":
        _write_24bit(path, stereo, 8000)
    elif encoding.startswith("float"):
        wavfile.write(path, 8000, stereo.astype(encoding))
    else:
        scale = {"uint8": 128, "int16": 2 ** 15, "int32": 2 ** 31}[encoding]
        offset = 128 if encoding == "uint8" else 0
        wavfile.write(path, 8000, (np.round(stereo * scale) + offset).astype(encoding))
    mono, rate = read_wav_with_rate(path)
    tolerance = {"uint8": 1 / 128, "int16": 1 / 2 ** 15}.get(encoding, 1e-6)
    assert rate == 8000 and mono.dtype == torch.float32
    np.testing.assert_allclose(mono.numpy(), stereo.mean(axis=1), atol=tolerance)
    assert read_wav(path).shape == (1600,)  # resampled to 16 kHz


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    x = _tone(440.0, 16000, 0.1, torch.float32) * 0.5
    write_wav(tmp_path / "tone.wav", x)
    torch.testing.assert_close(read_wav(tmp_path / "tone.wav"), x, atol=1 / 32767, rtol=0)
    assert list(tmp_path.iterdir()) == [tmp_path / "tone.wav"]  # no temporary file left behind
    with pytest.raises(ValueError, match=r"write_wav: expected a mono waveform of shape \(N,\)"):
        write_wav(tmp_path / "x.wav", torch.zeros(2, 3))


def test_unreadable_or_empty_audio_is_one_line_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "text.wav").write_text("not audio")
    wavfile.write(tmp_path / "empty.wav", 16000, np.zeros(0, dtype=np.int16))
    for name, reason in [("missing.wav", "cannot read WAV audio"),
                         ("text.wav", "cannot read WAV audio"),
                         ("empty.wav", "empty WAV audio")]:
        with pytest.raises(DataError, match=f"{name}: {reason}") as info:
            read_wav(tmp_path / name)
        assert "\n" not in str(info.value)


def _bursts(gap: float = 0.1) -> torch.Tensor:
    """A 200 Hz pulse train of 0.25 s, ``gap`` s of near-silence (−100 dB), and again."""
    g = torch.Generator().manual_seed(0)
    burst = (torch.arange(4000) % 80 == 0).double()
    silence = 1e-5 * torch.randn(int(gap * 16_000), generator=g, dtype=torch.float64)
    return torch.cat([burst, silence, burst])


@pytest.mark.parametrize("order", [1, 14, 40, 256])
def test_smooth_envelope_without_averaging_or_floor_is_the_identity(order: int) -> None:
    x = _bursts()
    torch.testing.assert_close(smooth_envelope(x, order, 1, 1000.0), x, rtol=0, atol=1e-9)


def test_smooth_envelope_keeps_a_steady_sound_glides_and_fills_a_closure() -> None:
    x = _bursts()
    middle, steady = slice(4800, 5200), slice(1000, 3000)  # inside the gap, inside a burst

    def level_db(y: torch.Tensor, part: slice) -> float:
        return 10 * math.log10(float(y[part].pow(2).mean()))

    averaged = smooth_envelope(x, 30, 9, 1000.0)  # a steady envelope is its own average
    assert level_db(averaged, steady) == pytest.approx(level_db(x, steady), abs=0.1)
    edge = slice(4000, 4240)  # the gap's first 15 ms: the burst's envelope glides into it
    glide = smooth_envelope(x, 30, 16, 1000.0)
    assert level_db(glide, edge) > level_db(x, edge) + 10
    floored = smooth_envelope(x, 30, 1, 30.0)
    assert level_db(x, middle) - level_db(x, steady) < -80
    assert level_db(floored, middle) - level_db(floored, steady) == pytest.approx(-30, abs=4)
    y = smooth_envelope(x.float(), 30, 9, 30.0)
    assert y.shape == x.shape and y.dtype == torch.float32


@pytest.mark.parametrize(("order", "frames", "floor_db"), [(0, 1, 30.0), (257, 1, 30.0),
                                                           (14, 0, 30.0), (14, 1, 0.0)])
def test_smooth_envelope_refuses_bad_settings(order: int, frames: int, floor_db: float) -> None:
    with pytest.raises(ValueError, match=r"smooth_envelope: expected order in \[1, 256\], "
                                         r"frames ≥ 1 and floor_db > 0, got "):
        smooth_envelope(_bursts(), order, frames, floor_db)
