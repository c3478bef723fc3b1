"""espeak-ng, flite, Festival, MBROLA, Pico, RHVoice and sox wrappers (these tests need Debian's
espeak-ng, flite, festival, festvox-kdlpc16k, festvox-rablpc16k, mbrola, mbrola-us1, mbrola-us2,
libttspico-utils, rhvoice, rhvoice-english and sox), and mixing at a signal-to-noise ratio."""

import math

import pytest
import torch

from seqkit.speech import synth
from seqkit.speech.synth import ToolError, Voice, espeak_variants, mix_at_snr, noise


def test_espeak_voice_is_16khz_speech_deterministic_and_shaped_by_its_settings() -> None:
    voice = Voice("espeak-ng", "en-gb-scotland", "f2", speed=175, pitch=60)
    x = voice.say("three one four")
    assert x.dim() == 1 and x.dtype == torch.float32
    assert 0.5 < x.numel() / 16000 < 2.5 and x.abs().max() > 0.1
    torch.testing.assert_close(voice.say("three one four"), x, rtol=0, atol=0)
    assert not torch.equal(Voice("espeak-ng", "en-gb-scotland", "m1", 175, 60)
                           .say("three one four")[:8000], x[:8000])
    slow = Voice("espeak-ng", "en-gb-scotland", "f2", speed=100, pitch=60).say("three one four")
    assert slow.numel() > 1.4 * x.numel()


def test_espeak_variants_come_from_its_data_folder() -> None:
    variants = espeak_variants()
    assert {"m1", "m7", "f1", "f5", "whisper", "croak"} <= set(variants)
    with pytest.raises(ValueError, match="Voice: unknown espeak-ng variant 'm99', expected one of"):
        Voice("espeak-ng", "en-us", "m99").say("one")


def test_flite_voice() -> None:
    x = Voice("flite", "slt").say("oh seven")
    assert 0.3 < x.numel() / 16000 < 2.5 and x.abs().max() > 0.1


def test_festival_voice_is_16khz_deterministic_and_takes_a_speed() -> None:
    x = Voice("festival", "ked").say("three one four")
    assert x.dim() == 1 and 0.5 < x.numel() / 16000 < 2.5 and x.abs().max() > 0.1
    torch.testing.assert_close(Voice("festival", "ked").say("three one four"), x, rtol=0, atol=0)
    slow = Voice("festival", "ked", speed=100).say("three one four")
    assert slow.numel() > 1.4 * x.numel()


def median_f0(x: torch.Tensor, rate: int = 16000) -> float:
    """The median F0 (Hz) of the voiced 40 ms frames of x: each frame's autocorrelation peak
    between lags of 400 and 60 Hz, kept when it holds over 30% of the frame's energy."""
    n, f0 = int(0.04 * rate), []
    for start in range(0, x.numel() - n, n // 2):
        frame = x[start:start + n].double()
        frame = frame - frame.mean()
        if frame.square().mean() < 1e-3 * x.double().square().max():
            continue
        r = torch.tensor([float(frame[:n - lag] @ frame[lag:]) for lag in range(n // 2)])
        lag = rate // 400 + int(r[rate // 400:rate // 60].argmax())
        if r[lag] > 0.3 * r[0]:
            f0.append(rate / lag)
    return float(torch.tensor(f0).median())


def test_festival_pitch_scales_f0_by_two_to_the_pitch_offset_over_50() -> None:
    """Pitch 50 is the voice's own (the same samples as without it); 90 and 20 move the median
    F0 of ked (~105 Hz) by 2^(40/50) = 1.74 and 2^(−30/50) = 0.66."""
    text = "seven eight nine"
    own = Voice("festival", "ked").say(text)
    torch.testing.assert_close(Voice("festival", "ked", pitch=50).say(text), own, rtol=0, atol=0)
    f0 = median_f0(own)
    assert 90 < f0 < 125
    assert 1.55 < median_f0(Voice("festival", "ked", pitch=90).say(text)) / f0 < 1.95
    assert 0.55 < median_f0(Voice("festival", "ked", pitch=20).say(text)) / f0 < 0.78


@pytest.mark.parametrize(("folder", "voice", "message"), [
    ("FESTIVAL_FOLDER", Voice("festival", "ked"),
     r"festival voice 'ked' not found in .*; install the Debian package 'festvox-kdlpc16k'"),
    ("MBROLA_FOLDER", Voice("mbrola", "us3"),
     r"mbrola voice 'us3' not found in .*; install the Debian package 'mbrola-us3' "
     r"\(non-free section\)"),
    ("RHVOICE_FOLDER", Voice("rhvoice", "clb"),
     r"RHVoice voice 'clb' not found in .*; install the Debian package 'rhvoice-english' "
     r"\(non-free section\)")])
def test_missing_voice_names_its_package(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                         folder: str, voice: Voice, message: str) -> None:
    monkeypatch.setattr(synth, folder, tmp_path)
    with pytest.raises(ToolError, match=message):
        voice.say("one")


@pytest.mark.parametrize(("voice", "f0"), [(Voice("mbrola", "us1"), (170, 230)),
                                           (Voice("mbrola", "us2"), (85, 120)),
                                           (Voice("pico", "en-US"), (150, 200)),
                                           (Voice("pico", "en-GB"), (150, 210)),
                                           (Voice("festival", "rab"), (80, 140)),
                                           (Voice("rhvoice", "bdl"), (85, 150)),
                                           (Voice("rhvoice", "clb"), (150, 230)),
                                           (Voice("rhvoice", "evgeniy-eng"), (70, 150)),
                                           (Voice("rhvoice", "lyubov"), (150, 260))])
def test_other_engines_voices_are_deterministic_and_take_a_speed_and_pitch(voice: Voice,
                                                                         f0: tuple) -> None:
    """MBROLA's us1, Pico's voices, RHVoice's clb and lyubov are women's (median F0 of 150–260
    Hz), us2, rab, bdl and evgeniy-eng men's; speed 100 is at least 1.4 times as long as 175;
    pitch 80 raises Pico's and RHVoice's F0 by 2^(30/50) = 1.52 and MBROLA's as espeak-ng's
    -p 80 does (by ~1.3)."""
    text = "seven eight nine"
    x = voice.say(text)
    assert x.dim() == 1 and 0.5 < x.numel() / 16000 < 2.5 and x.abs().max() > 0.1
    torch.testing.assert_close(voice.say(text), x, rtol=0, atol=0)
    assert f0[0] < median_f0(x) < f0[1]
    slow = Voice(voice.engine, voice.name, speed=100, pitch=voice.pitch).say(text)
    assert slow.numel() > 1.4 * x.numel()
    if voice.engine != "festival":  # (Festival's pitch: the test above)
        raised = Voice(voice.engine, voice.name, speed=voice.speed, pitch=80).say(text)
        low, high = (1.35, 1.7) if voice.engine in ("pico", "rhvoice") else (1.15, 1.5)
        assert low < median_f0(raised) / median_f0(x) < high


def test_missing_pico_names_its_package_and_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth.shutil, "which", lambda program: None)
    with pytest.raises(ToolError, match=r"pico2wave: program not found; install the Debian "
                                        r"package 'libttspico-utils' \(non-free section\)"):
        Voice("pico", "en-US").say("one")


def test_missing_rhvoice_names_its_package_and_section(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth.shutil, "which", lambda program: None)
    with pytest.raises(ToolError, match=r"RHVoice-test: program not found; install the Debian "
                                        r"package 'rhvoice' \(non-free section\)"):
        Voice("rhvoice", "bdl").say("one")


def test_pico_refuses_text_it_would_read_as_markup() -> None:
    with pytest.raises(ValueError, match="pico reads markup; expected text without <, > or &"):
        Voice("pico", "en-GB").say("one <speed level='300'> two")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"engine": "mimic"}, "Voice: unknown engine 'mimic', expected one of espeak-ng, flite"),
    ({"engine": "festival", "name": "kal"}, "unknown festival voice 'kal', expected one of ked, "
                                            "rab"),
    ({"engine": "festival", "name": "ked", "variant": "f1"}, "festival voice 'ked' takes a speed"),
    ({"engine": "pico", "name": "en-us"}, "unknown pico voice 'en-us', expected one of en-US"),
    ({"engine": "mbrola", "name": "us1", "variant": "f1"}, "mbrola voice 'us1' takes a speed"),
    ({"engine": "rhvoice", "name": "slt"}, "unknown rhvoice voice 'slt', expected one of bdl, "
                                           "clb, evgeniy-eng, lyubov"),
    ({"name": "en-xx"}, "Voice: unknown espeak-ng voice 'en-xx', expected one of en-us, en-gb"),
    ({"engine": "flite", "name": "en-us"}, "unknown flite voice 'en-us', expected one of kal16"),
    ({"engine": "flite", "name": "slt", "speed": 120}, "flite voice 'slt' takes none of them"),
    ({"pitch": 100}, r"Voice: expected speed in \[80, 450\] and pitch in \[0, 99\], got 175 "
                     "and 100"),
])
def test_voice_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Voice(**kwargs)


def _low_frequency_share(x: torch.Tensor, hz: float = 500.0) -> float:
    power = torch.fft.rfft(x.double()).abs() ** 2
    return (power[:int(hz / 8000 * power.numel())].sum() / power.sum()).item()


def test_noise_colours_are_deterministic_and_tilt_towards_low_frequencies() -> None:
    white, pink, brown = (noise(1.0, colour) for colour in ("white", "pink", "brown"))
    assert white.shape == pink.shape == brown.shape == (16000,)
    torch.testing.assert_close(noise(1.0, "pink"), pink, rtol=0, atol=0)
    shares = [_low_frequency_share(x) for x in (white, pink, brown)]
    assert shares[0] == pytest.approx(500 / 8000, abs=0.02)  # flat spectrum
    assert shares[0] < shares[1] < shares[2]
    with pytest.raises(ValueError, match="noise: unknown colour 'blue', expected one of white"):
        noise(1.0, "blue")


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 10.0, 30.0])
def test_mix_at_snr_gives_the_requested_ratio(snr_db: float) -> None:
    g = torch.Generator().manual_seed(0)
    signal = torch.randn(1000, generator=g, dtype=torch.float64)
    background = torch.randn(300, generator=g, dtype=torch.float64) * 7  # tiled to 1000
    mixed = mix_at_snr(signal, background, snr_db)
    added = mixed - signal  # g · background, tiled
    gain = added[:300] / background
    torch.testing.assert_close(gain, gain[0].expand(300))
    torch.testing.assert_close(added[300:600], added[:300])
    torch.testing.assert_close(added[900:], added[:100])
    measured = 10 * math.log10(signal.pow(2).mean() / added.pow(2).mean())
    assert measured == pytest.approx(snr_db, abs=1e-9)
    with pytest.raises(ValueError, match="mix_at_snr: expected a background with some energy"):
        mix_at_snr(signal, torch.zeros(10, dtype=torch.float64), 0.0)


def test_missing_program_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth.shutil, "which", lambda program: None)
    with pytest.raises(ToolError, match="sox: program not found; install the Debian package "
                                        "'sox' \\(apt-get install espeak-ng flite festival mbrola "
                                        "libttspico-utils rhvoice sox\\)"):
        noise(1.0)
