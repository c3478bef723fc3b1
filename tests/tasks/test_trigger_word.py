"""The trigger_word task: synthesised words and backgrounds, clips and batches, training, resuming,
evaluation (false rejects, false accepts per hour) and ``seqkit detect`` through the CLI."""

import json
import random
import shutil

import pytest
import torch
from click.testing import CliRunner

from seqkit import api
from seqkit.cli import main
from seqkit.config import from_dict
from seqkit.data import DataError
from seqkit.errors import ConfigError
from seqkit.speech import corpus
from seqkit.speech.audio import SAMPLE_RATE, resample, write_wav
from seqkit.speech.detect import detect, detection_stats, lowest_threshold
from seqkit.speech.trigger import trigger_loss
from seqkit.tasks import load_recipe
from seqkit.tasks.trigger_word import data as trigger_data
from seqkit.tasks.trigger_word.task import (
    THRESHOLDS,
    TriggerWordRecipe,
    TriggerWordTask,
    lowest_frr,
    voice_group,
)

pytestmark = pytest.mark.skipif(
    any(shutil.which(p) is None for p in ("espeak-ng", "flite", "sox")),
    reason="needs espeak-ng, flite and sox (Debian packages)")

TINY = """\
task: trigger_word
seed: 2
data: {{dir: {dir}, trigger: "hey jarvis", train_words: 9, test_words: 6, processes: 1,
        music: false, clip_seconds: 2.0, clips: 4, valid_clips: 2, batch_size: 2, workers: 0,
        speed: 0.1, vtlp: 0.1, tilt: 6.0, lowpass: 0.5, spec_augment: true,
        envelope: 0.5, max_negatives: 3}}
model: {{channels: 6, hidden_size: 5}}
detect: {{test_clips: 3, negative_hours: 0.002, threshold: 0.5}}
train: {{epochs: 2, max_steps: 4, valid_every: 2, log_every: 1, threads: 1}}
"""


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Tiny data, a 4-step run, and the same run stopped after 1 step and resumed (with the
    recipe's augmentation: resumed clips must be drawn alike)."""
    folder = tmp_path_factory.mktemp("trigger")
    (folder / "tiny.yaml").write_text(TINY.format(dir=folder / "data"))
    for out, steps in (("whole", 4), ("split", 1)):
        result = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / out),
                        "--set", f"train.max_steps={steps}")
        assert result.exit_code == 0, result.output
    resumed = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / "split"),
                     "--resume")
    assert resumed.exit_code == 0, resumed.output
    return folder


def test_words_are_seeded_trimmed_and_a_third_are_the_trigger(run) -> None:
    recipe = load_recipe(run / "tiny.yaml")
    words = trigger_data.word(3, "test", 2, "hey jarvis")
    again = trigger_data.word(3, "test", 2, "hey jarvis")
    assert words[1] == "hey jarvis" and torch.equal(words[0], again[0])
    train = TriggerWordTask.build(recipe).clips("train")
    assert len(train.positives) == 3 and len(train.negatives) == 6  # i = 0, 3, 6 of 9
    peak = words[0].abs().max()
    assert words[0][0].abs() >= 0.02 * peak and words[0][-1].abs() >= 0.02 * peak
    assert 10 ** (-27 / 20) < peak < 10 ** (-2.5 / 20)  # −26 … −3 dB, plus hiss


def test_held_out_voices_are_never_drawn_for_training() -> None:
    from seqkit.speech.synth import espeak_variants
    from seqkit.tasks.ctc.data import HELD_OUT_VARIANTS, TRAIN_VARIANTS

    rng = random.Random(0)
    wide = {trigger_data.voice_for("train", rng, "all").variant for _ in range(3000)}
    assert wide <= set(espeak_variants()) - set(HELD_OUT_VARIANTS) and len(wide) > 90
    numbered = {trigger_data.voice_for("train", rng, "numbered").variant for _ in range(500)}
    assert numbered == set(TRAIN_VARIANTS)
    test = [trigger_data.voice_for("test", rng, "all") for _ in range(500)]
    assert {v.variant for v in test if v.engine == "espeak-ng"} == set(HELD_OUT_VARIANTS)
    assert 200 < sum(v.engine == "flite" for v in test) < 300
    shares = {"festival": 0.3, "mbrola": 0.1, "pico": 0.2, "rhvoice": 0.2}
    engines = [trigger_data.voice_for("train", rng, "all", shares).engine for _ in range(3000)]
    for engine, share in shares.items():
        assert engines.count(engine) / 3000 == pytest.approx(share, abs=0.03)
    pitched = [trigger_data.voice_for("train", rng, "all", {"festival": 0.5}, [60, 70])
               for _ in range(200)]
    assert {v.pitch for v in pitched if v.engine == "festival"} == set(range(60, 71))
    assert {trigger_data.voice_for("test", rng, "all", {"festival": 0.5, "pico": 0.5}).engine
            for _ in range(100)} == {"flite", "espeak-ng"}  # held out: flite, espeak-ng variants


def test_confusables_are_training_negatives_only_and_never_the_trigger() -> None:
    train = trigger_data.negative_words("train", "activate", confusables=True)
    assert set(trigger_data.CONFUSABLE_WORDS) <= set(train)
    assert trigger_data.negative_words("test", "activate", confusables=True) == list(
        trigger_data.NEGATIVE_WORDS)  # the test words do not change with the training pool
    assert "jarvis" not in trigger_data.negative_words("train", "jarvis", confusables=True)
    assert "say jarvis" not in trigger_data.negative_words("train", "jarvis", True)


def test_clips_are_new_each_epoch_and_batches_have_the_notes_shapes(run) -> None:
    task = TriggerWordTask.build(load_recipe(run / "tiny.yaml"))
    batches = list(task.batches(0))
    assert len(batches) == 2
    x, y = batches[0]
    T = task.recipe.features.num_frames(2 * SAMPLE_RATE)  # 1 + 32000 // 29 = 1104
    assert x.shape == (2, T, 40) and y.shape == (2, (T - 15) // 4 + 1)
    assert set(y.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(x, next(iter(task.batches(0)))[0])
    assert not torch.equal(x, next(iter(task.batches(1)))[0])
    task.model.eval()
    loss, count = task.loss(task.model, (x, y))
    p = torch.sigmoid(task.model(x)).double()
    bce = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
    assert count == y.numel() and loss.item() == pytest.approx(bce.item(), rel=1e-5)
    assert trigger_loss(task.model, x, y).item() == pytest.approx(loss.item())


def test_stream_places_the_words_of_each_clip(run) -> None:
    task = TriggerWordTask.build(load_recipe(run / "tiny.yaml"))
    clips = task.clips("test")
    stream = task.stream(clips)
    assert stream.waveform.numel() == 3 * 2 * SAMPLE_RATE
    expected = [((2 * SAMPLE_RATE * i + s) / SAMPLE_RATE, (2 * SAMPLE_RATE * i + e) / SAMPLE_RATE)
                for i in range(3) for s, e in clips.clip(i).positives]
    assert stream.words == expected
    words = corpus.load(task.recipe.data.words_path("test"))
    trigger_voices = [v for t, v in zip(words.texts, words.voices, strict=True)
                      if t == "hey jarvis"]
    assert stream.voices == [trigger_voices[k] for i in range(3)
                             for k in clips.clip(i).positive_words]
    assert len(stream.voices) == len(stream.words) > 0
    clips.voices = None  # words saved before their voices were kept
    assert task.stream(clips).voices == [] and task.stream(clips).words == expected
    negative = task.stream(task.clips("negative"))
    assert negative.words == [] and negative.waveform.numel() >= 0.002 * 3600 * SAMPLE_RATE


def test_resume_equals_an_uninterrupted_run(run) -> None:
    whole = torch.load(run / "whole" / "last.pt", weights_only=True)
    split = torch.load(run / "split" / "last.pt", weights_only=True)
    assert whole["progress"]["position"]["step"] == split["progress"]["position"]["step"] == 4
    for name, value in whole["model"].items():
        assert torch.equal(value, split["model"][name]), name


def test_evaluate_pools_detections_over_the_streams(run) -> None:
    printed = seqkit("evaluate", str(run / "whole"), "--threshold", "0.4")
    assert printed.exit_code == 0, printed.output
    for needed in ("trigger 'hey jarvis', held-out voices", "FRR = ", "FA/h = ",
                   "threshold:0.4|refractory:1.0s|max_delay:1.0s|hop:1s", "real-time factor",
                   "how: ŷ per 2 s window every 1 s", "threshold   FRR      FA/h",
                   "  0.4        ", "lowest FRR with FA/h ≤ 20: "):
        assert needed in printed.output
    report = json.loads(seqkit("evaluate", str(run / "whole"), "--json").output)
    task = api.load(run / "whole", task="trigger_word")
    stream = task.stream(task.clips("test"))
    y_hat, frame_seconds = task.scores(stream.waveform)
    found = detect(y_hat, frame_seconds, 0.5, 1.0)
    stats = detection_stats(found, stream.words, stream.waveform.numel() / SAMPLE_RATE, 1.0)
    assert report["metrics"]["frr"] == pytest.approx(stats.false_reject_rate)
    assert report["settings"]["hop_seconds"] == 1.0
    for limit in (1, 5, 20):  # the lowest FRR of the sweep where FA/h ≤ limit, if any
        metrics = report["metrics"]
        assert 0 <= metrics.get(f"frr_at_{limit}_fa_per_hour", 0) <= 1
        if f"frr_at_{limit}_fa_per_hour" in metrics:
            assert 0 <= metrics[f"frr_at_{limit}_fa_per_hour_low"] \
                <= metrics[f"frr_at_{limit}_fa_per_hour_high"] <= 1
    assert "resamplings of the clips)" in printed.output
    assert report["metrics"]["rtf"] > 0 and report["settings"]["negative_hours"] >= 0.002
    assert "FRR by voice (triggers)       0.4 | ≤1 FA/h (" in printed.output
    by_voice = task.frr_by_voice(y_hat, frame_seconds, stream, 0.5)
    assert {f"frr/{v}": f for v, f in by_voice.items()} == {
        k: v for k, v in report["metrics"].items() if k.startswith("frr/")}
    groups = {voice_group(v) for v in stream.voices}
    assert set(by_voice) == groups and groups <= {"flite kal16", "flite awb", "flite rms",
                                                  "flite slt", "espeak-ng +m6", "espeak-ng +m7",
                                                  "espeak-ng +f4", "espeak-ng +f5"}
    misses = sum(f * sum(voice_group(v) == g for v in stream.voices) for g, f in by_voice.items())
    assert misses == pytest.approx(stats.misses)  # the groups' misses add up to all of them
    bad = seqkit("evaluate", str(run / "whole"), "--split", "train")
    assert bad.exit_code == 1 and "--split: expected one of test, valid" in bad.output


def test_sweep_adds_the_lowest_threshold_of_each_false_accept_limit(run) -> None:
    task = api.load(run / "whole", task="trigger_word")
    positive, negative = task.stream(task.clips("test")), task.stream(task.clips("negative"))
    y_positive, frame_seconds = task.scores(positive.waveform)
    y_negative, _ = task.scores(negative.waveform)
    sweep = task.sweep(y_positive, y_negative, frame_seconds, positive, negative, 0.5)
    seconds = negative.waveform.numel() / SAMPLE_RATE
    exact = lowest_threshold(y_negative, frame_seconds, seconds, 1, 1.0, min(THRESHOLDS))
    assert [t for t, _, _ in sweep] == sorted({*THRESHOLDS, 0.5, exact} - {None})
    for t, p, n in sweep:  # the same counts as scoring each threshold alone
        assert p == task.score_stats(y_positive, frame_seconds, positive, t)
        assert n.false_accepts == len(detect(y_negative, frame_seconds, t, 1.0))
    # 7 s of audio allow no false accept at 1, 5 or 20 per hour
    ok = [t for t, _, n in sweep if n.false_accepts == 0]
    assert exact is not None and min(ok) == exact and lowest_frr(sweep, 1)[1] in ok


def test_detect_reads_telephone_audio_of_any_length(run, tmp_path) -> None:
    task = api.load(run / "whole", task="trigger_word")
    rng = random.Random(0)
    speech = task.stream(task.clips("test")).waveform[:int(4.5 * SAMPLE_RATE)]
    quiet = 0.01 * speech / speech.abs().max() * (1 + 0.1 * rng.random())
    write_wav(tmp_path / "phone.wav", resample(quiet, SAMPLE_RATE, 8_000), 8_000)
    expected = task.detect(resample(resample(quiet, SAMPLE_RATE, 8_000), 8_000, SAMPLE_RATE),
                           threshold=0.3)
    printed = seqkit("detect", str(run / "whole"), str(tmp_path / "phone.wav"),
                     "--threshold", "0.3")
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    assert len(lines) == len(expected)
    for line, detection in zip(lines, expected, strict=True):
        start, end, score = map(float, line.split())
        assert start == pytest.approx(detection.start_seconds, abs=0.01)
        assert 0 <= start < end <= 4.5 + 1e-6 and score >= 0.3
    (tmp_path / "empty.wav").write_bytes(b"RIFF")
    bad = seqkit("detect", str(run / "whole"), str(tmp_path / "empty.wav"))
    assert bad.exit_code == 1 and "empty.wav: cannot read WAV audio" in bad.output


def test_voice_group_drops_espeaks_accent_only() -> None:
    assert voice_group("espeak-ng en-gb-scotland+m6") == "espeak-ng +m6"
    assert voice_group("espeak-ng en-us") == "espeak-ng en-us"
    assert voice_group("flite slt") == "flite slt"
    assert voice_group("pico en-US") == "pico en-US"


def test_backgrounds_made_before_the_music_was_installed_are_made_again(
        tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(trigger_data, "MUSIC_FOLDER", tmp_path / "moh")
    data = trigger_data.TriggerDataConfig(dir=str(tmp_path / "data"), train_words=2,
                                          test_words=2, processes=1)
    trigger_data.trigger_words(data, seed=0)
    before = corpus.load(data.backgrounds_path)
    assert not any(name.startswith("music") for name in before.texts)
    (tmp_path / "moh").mkdir()
    write_wav(tmp_path / "moh" / "tune.wav", torch.rand(61 * 8000) - 0.5, 8000)
    trigger_data.trigger_words(data, seed=0)
    after = corpus.load(data.backgrounds_path)
    assert after.texts == [*before.texts, "music tune.wav"]
    assert after.waveform(len(after) - 1).numel() == 61 * SAMPLE_RATE  # resampled to 16 kHz
    stamp = data.backgrounds_path.stat().st_mtime_ns
    trigger_data.trigger_words(data, seed=0)  # complete: nothing made again
    assert data.backgrounds_path.stat().st_mtime_ns == stamp


def test_a_model_of_another_task_is_refused(run) -> None:
    other = seqkit("transcribe", str(run / "whole"), "x.wav")
    assert other.exit_code == 1
    assert "a trigger_word model; `transcribe` needs a ctc model" in other.output
    assert "trigger_word models answer: detect, evaluate" in other.output


def test_recipe_and_data_errors_name_the_key(run) -> None:
    with pytest.raises(ConfigError, match=r"data.trigger: expected lower-case words a–z"):
        from_dict(TriggerWordRecipe, {"data": {"trigger": "Hey Jarvis!"}})
    with pytest.raises(ConfigError, match=r"model.n_mels: expected features.n_mels \(40\)"):
        from_dict(TriggerWordRecipe, {"model": {"n_mels": 20}})
    with pytest.raises(ConfigError, match=r"detect.threshold: expected in \(0, 1\]"):
        from_dict(TriggerWordRecipe, {"detect": {"threshold": 0}})
    for section, key, value, expected in (
            ("data", "voices", "many", "one of all, numbered"),
            ("data", "speed", 0.5, "in [0, 0.5)"), ("data", "vtlp", -0.1, "in [0, 0.5)"),
            ("data", "tilt", 13, "in [0, 12] dB per octave"), ("data", "lowpass", 1.5, "in [0, 1]"),
            ("data", "envelope", -0.1, "in [0, 1]"), ("data", "max_negatives", 11, "in [0, 10]"),
            ("detect", "hop_seconds", 0, "> 0"),
            ("detect", "hop_seconds", 11.0, "≤ data.clip_seconds (10.0)")):
        with pytest.raises(ConfigError) as error:
            from_dict(TriggerWordRecipe, {section: {key: value}})
        assert str(error.value).startswith(f"{section}.{key}: expected {expected}")
        assert "\n" not in str(error.value)
    other = load_recipe(run / "tiny.yaml", ["data.trigger=activate"])
    with pytest.raises(DataError, match=r"prepared.json: this folder was prepared with"):
        TriggerWordTask.build(other)


def test_shipped_recipe_loads() -> None:
    recipe = load_recipe("recipes/trigger-word.yaml")
    assert recipe.data.trigger == "activate" and recipe.features.hop_length == 29
    assert (recipe.model.channels, recipe.model.kernel_size, recipe.model.stride,
            recipe.model.hidden_size) == (196, 15, 4, 128)
