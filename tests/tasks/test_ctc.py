"""The ctc task: synthesised digit strings, the CTC model, batches and loss, and training, resuming,
evaluation and ``seqkit transcribe`` through the CLI."""

import json
import random
import re
import shutil
import statistics

import pytest
import torch
import torch.nn.functional as F
from click.testing import CliRunner

from seqkit import api
from seqkit.cli import main
from seqkit.config import from_dict
from seqkit.data import DataError
from seqkit.errors import ConfigError
from seqkit.speech import corpus
from seqkit.speech.audio import read_wav, resample, write_wav
from seqkit.speech.ctc import ctc_loss
from seqkit.speech.digits import LABELS
from seqkit.speech.synth import FLITE_VOICES, espeak_variants
from seqkit.tasks import load_recipe
from seqkit.tasks.ctc import data as ctc_data
from seqkit.tasks.ctc.model import CTCModel, CTCModelConfig
from seqkit.tasks.ctc.task import (
    Augmentation,
    CTCRecipe,
    CTCTask,
    Utterances,
    cer_by_voice,
    read_words,
)

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("flite") is None,
                                reason="needs espeak-ng and flite (Debian packages)")

TINY = """\
task: ctc
seed: 3
data: {{dir: {dir}, train: 16, valid: 4, test: 4, max_digits: 2, processes: 1,
        batch_frames: 700, workers: 0}}
model: {{hidden_size: 12, num_layers: 2, stack: 3}}
train: {{lr: 0.003, epochs: 3, max_steps: 6, valid_every: 3, log_every: 1, threads: 1}}
"""


def seqkit(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Tiny data, a 6-step run, and the same run stopped after 3 steps and resumed."""
    folder = tmp_path_factory.mktemp("ctc")
    (folder / "tiny.yaml").write_text(TINY.format(dir=folder / "data"))
    for out, steps in (("whole", 6), ("split", 3)):
        result = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / out),
                        "--set", f"train.max_steps={steps}")
        assert result.exit_code == 0, result.output
    resumed = seqkit("train", str(folder / "tiny.yaml"), "--out", str(folder / "split"),
                     "--resume")
    assert resumed.exit_code == 0, resumed.output
    return folder


def test_utterances_are_seeded_and_voices_held_out_by_split() -> None:
    wave, text, speaker = ctc_data.utterance(5, "train", 0, 1, 3)
    again, same, _ = ctc_data.utterance(5, "train", 0, 1, 3)
    assert text == same and torch.equal(wave, again) and speaker.startswith("espeak-ng en")
    assert ctc_data.utterance(5, "test-flite", 0, 1, 3)[2] in {f"flite {v}" for v in FLITE_VOICES}
    assert 1 <= len(text.split()) <= 6 and set(text) <= set(LABELS[1:])
    rng = random.Random(0)
    train = {ctc_data.voice_for("train", rng, "numbered").variant for _ in range(200)}
    held = {ctc_data.voice_for("test-espeak", rng).variant for _ in range(200)}
    assert train == set(ctc_data.TRAIN_VARIANTS) and held == set(ctc_data.HELD_OUT_VARIANTS)
    assert {ctc_data.voice_for("test-flite", rng).engine for _ in range(20)} == {"flite"}


def test_the_wide_pool_is_every_variant_but_the_held_out_ones() -> None:
    wide = ctc_data.train_variants("all")
    assert set(wide) == set(espeak_variants()) - set(ctc_data.HELD_OUT_VARIANTS)
    assert {"klatt", "m1", "m8", "f3", "croak", "whisper"} <= set(wide)
    rng = random.Random(0)
    for split in ("train", "valid"):
        drawn = {ctc_data.voice_for(split, rng, "all").variant for _ in range(3000)}
        assert drawn <= set(wide) and not drawn & set(ctc_data.HELD_OUT_VARIANTS)
        assert len(drawn) > 90  # the pool is used, not a corner of it


def test_other_engines_take_their_shares_of_train_and_valid_only() -> None:
    rng = random.Random(0)
    shares = {"festival": 0.15, "mbrola": 0.2, "pico": 0.25, "rhvoice": 0.2}
    for split in ("train", "valid"):
        voices = [ctc_data.voice_for(split, rng, "numbered", shares) for _ in range(4000)]
        engines = [v.engine for v in voices]
        for engine, share in shares.items():
            assert engines.count(engine) / 4000 == pytest.approx(share, abs=0.03)
        assert {v.speaker for v in voices if v.engine != "espeak-ng"} == {
            "festival ked", "festival rab", "mbrola us1", "mbrola us2", "mbrola us3",
            "mbrola en1", "pico en-US", "pico en-GB", "rhvoice bdl", "rhvoice clb",
            "rhvoice evgeniy-eng", "rhvoice lyubov"}  # not RHVoice's alan, slt: flite's speakers
        for engine in ("pico", "rhvoice"):
            assert {v.pitch for v in voices if v.engine == engine} == set(range(30, 71))
    for split, engine in (("test-espeak", "espeak-ng"), ("test-flite", "flite")):
        assert {ctc_data.voice_for(split, rng, "numbered", {"festival": 0.5, "pico": 0.5}).engine
                for _ in range(50)} == {engine}
    # with no shares the draws are those of a corpus made before the other engines existed
    a, b = random.Random(3), random.Random(3)
    assert [ctc_data.voice_for("train", a, "numbered") for _ in range(20)] == [
        ctc_data.voice_for("train", b, "numbered", {"festival": 0.0, "pico": 0.0})
        for _ in range(20)]


def test_engine_shares_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"data\.mbrola: expected in \[0, 1\], got 1\.5"):
        from_dict(CTCRecipe, {"data": {"mbrola": 1.5}})
    with pytest.raises(ConfigError, match=r"data\.festival \+ data\.mbrola \+ data\.pico \+ "
                                          r"data\.rhvoice: expected ≤ 1, got 1\.2"):
        from_dict(CTCRecipe, {"data": {"festival": 0.4, "mbrola": 0.3, "rhvoice": 0.5}})


def test_prepared_json_records_the_engines_used() -> None:
    assert ctc_data.engine_settings({"festival": 0.0, "mbrola": 0.0, "pico": 0.0}, None) == {}
    assert ctc_data.engine_settings({"festival": 0.2, "mbrola": 0.0, "pico": 0.1}, [50, 99]) == {
        "festival": 0.2, "pico": 0.1, "festival_voices": ["ked", "rab"],
        "festival_pitch": [50, 99]}


def test_festival_pitch_is_drawn_in_its_range_and_only_when_set() -> None:
    rng = random.Random(0)
    half = {"festival": 0.5}
    voices = [ctc_data.voice_for("train", rng, "numbered", half, [40, 95]) for _ in range(2000)]
    pitches = [v.pitch for v in voices if v.engine == "festival"]
    assert min(pitches) == 40 and max(pitches) == 95 and len(set(pitches)) == 56
    assert 60 < statistics.mean(pitches) < 75  # uniform: 67.5
    # unset (None, the default), Festival's voices keep their own pitch
    a, b = random.Random(3), random.Random(3)
    before = [ctc_data.voice_for("train", a, "numbered", half) for _ in range(50)]
    assert {v.pitch for v in before if v.engine == "festival"} == {50}
    assert before == [ctc_data.voice_for("train", b, "numbered", half, None) for _ in range(50)]


@pytest.mark.parametrize("pitch", [[95, 40], [-1, 50], [40, 100], [40], [40.5, 60], [True, 60]])
def test_festival_pitch_errors_name_the_key(pitch) -> None:
    with pytest.raises(ConfigError, match=r"data\.festival_pitch: expected "):
        from_dict(CTCRecipe, {"data": {"festival_pitch": pitch}})


def test_condition_sets_level_band_silence_and_snr() -> None:
    t = torch.arange(16_000, dtype=torch.float64) / 16_000
    tone = 0.5 * torch.sin(2 * torch.pi * 440 * t) + 0.5 * torch.sin(2 * torch.pi * 6000 * t)
    out = corpus.condition(tone.float(), random.Random(1), telephone=1.0, peak_db=(-20, -20),
                           silence=0.5, snr_db=(30, 30))
    assert 16_000 <= out.numel() <= 32_000
    spectrum = torch.fft.rfft(out.double()).abs()  # bins of 16000 / N Hz
    hz = torch.fft.rfftfreq(out.numel(), 1 / 16_000)
    assert spectrum[(hz - 440).abs() < 5].max() > 50 * spectrum[(hz - 6000).abs() < 5].max()
    assert out.abs().max() == pytest.approx(0.1, rel=0.1)  # −20 dB peak, plus a little hiss
    quiet = corpus.condition(tone.float(), random.Random(1), telephone=0.0, peak_db=(-20, -20),
                             silence=0.0, snr_db=(20, 20))
    scaled = tone / tone.abs().max() * 0.1
    noise = quiet.double() - scaled
    snr = 10 * torch.log10(scaled.pow(2).mean() / noise.pow(2).mean())
    assert snr == pytest.approx(20, abs=0.3)


def test_waveforms_round_trip_through_a_file(tmp_path) -> None:
    waves = [torch.linspace(-1, 1, 5), torch.zeros(0), torch.tensor([0.5, 2.0])]
    packed = corpus.pack(waves, ["a", "b", "c"], ["flite slt", "festival ked", "flite slt"])
    corpus.save(tmp_path / "x.pt", packed)
    loaded = corpus.load(tmp_path / "x.pt")
    assert loaded.texts == ["a", "b", "c"] and loaded.num_samples() == [5, 0, 2]
    assert loaded.voices == ["flite slt", "festival ked", "flite slt"]
    older = packed._asdict()
    del older["voices"]  # a file made before voices were kept
    torch.save(older, tmp_path / "old.pt")
    assert corpus.load(tmp_path / "old.pt").voices is None
    with pytest.raises(ValueError, match="pack: expected one voice per waveform, got 2 voices"):
        corpus.pack(waves, ["a", "b", "c"], ["x", "y"])
    assert torch.allclose(loaded.waveform(0), waves[0], atol=1 / 32767)
    assert torch.allclose(loaded.waveform(2), torch.tensor([0.5, 1.0]), atol=1 / 32767)  # clipped
    torch.save({"other": 1}, tmp_path / "y.pt")
    with pytest.raises(DataError, match=r"y\.pt: not a speech corpus file"):
        corpus.load(tmp_path / "y.pt")
    with pytest.raises(DataError, match=r"z\.pt: no such file"):
        corpus.load(tmp_path / "z.pt")


def test_model_shapes_and_padding_do_not_change_an_utterance() -> None:
    torch.manual_seed(0)
    model = CTCModel(CTCModelConfig(stack=3, hidden_size=8, num_layers=2), 5, 7).eval()
    x = torch.randn(2, 10, 5)
    x[1, 7:] = 0  # padding, as seqkit.data.pad writes it
    lengths = torch.tensor([10, 7])
    log_probs, steps = model(x, lengths)
    assert log_probs.shape == (2, 4, 7) and steps.tolist() == [4, 3]  # ⌈10/3⌉, ⌈7/3⌉
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(2, 4))
    alone, _ = model(x[1:, :7], torch.tensor([7]))
    assert torch.allclose(alone[0, :3], log_probs[1, :3], atol=1e-6)
    with pytest.raises(ValueError, match=r"CTCModel: expected features of shape \(B, T, 5\)"):
        model(torch.randn(2, 10, 4), lengths)


def test_batches_cover_the_split_and_the_loss_is_ctc_per_character(run) -> None:
    recipe = load_recipe(run / "tiny.yaml")
    task = CTCTask.build(recipe)
    first, again = list(task.batches(0)), list(task.batches(0))
    assert sum(len(b.x) for b in first) == 16
    for batch, same in zip(first, again, strict=True):
        B, T, F_ = batch.x.shape
        assert F_ == 40 and batch.x_lengths.max() == T and (B * T <= 700 or B == 1)
        assert torch.equal(batch.x, same.x)  # the same SpecAugment masks on a second pass
    assert not torch.equal(next(iter(task.batches(1))).x, first[0].x)
    task.recipe.data.workers = 1  # features made in a DataLoader process: the same batches
    assert all(torch.equal(a.x, b.x) for a, b in zip(task.batches(0), first, strict=True))
    batch = first[0]
    task.model.eval()  # no dropout: both calls see one function
    loss, count = task.loss(task.model, batch)
    log_probs, steps = task.model(batch.x, batch.x_lengths)
    reference = ctc_loss(log_probs.double(), batch.y, steps, batch.y_lengths, fused=False,
                         reduction="none")  # the α recursion, (B,)
    assert count == int(batch.y_lengths.sum())
    assert loss.item() == pytest.approx(reference.sum().item() / count, rel=1e-4)
    assert F.ctc_loss(log_probs.transpose(0, 1), batch.y, steps, batch.y_lengths,
                      reduction="sum").item() == pytest.approx(reference.sum().item(), rel=1e-4)


def test_spec_augment_is_drawn_per_epoch_and_item(run) -> None:
    recipe = load_recipe(run / "tiny.yaml")
    waves = corpus.load(recipe.data.path("train"))
    masks = Augmentation(spec_augment=True)
    plain = Utterances(waves, recipe.features)[2][0]
    masked = Utterances(waves, recipe.features, augment=masks, seed=3, epoch=0)[2][0]
    other = Utterances(waves, recipe.features, augment=masks, seed=3, epoch=1)[2][0]
    assert masked.shape == plain.shape and (masked == 0).sum() > (plain == 0).sum()
    assert torch.equal(masked, Utterances(waves, recipe.features, masks, 3, 0)[2][0])
    assert not torch.equal(masked, other)


def test_speed_and_vtlp_are_drawn_per_epoch_and_item(run) -> None:
    recipe = load_recipe(run / "tiny.yaml")
    waves = corpus.load(recipe.data.path("train"))
    plain = Utterances(waves, recipe.features)
    assert torch.equal(Utterances(waves, recipe.features, Augmentation(), 3, 0)[2][0], plain[2][0])
    for augment in (Augmentation(speed=0.1), Augmentation(vtlp=0.1),
                    Augmentation(True, 0.1, 0.1)):
        first = Utterances(waves, recipe.features, augment, seed=3, epoch=0)
        again = Utterances(waves, recipe.features, augment, seed=3, epoch=0)
        later = Utterances(waves, recipe.features, augment, seed=3, epoch=1)
        for i in range(4):
            x, y = first[i]
            assert torch.equal(x, again[i][0]) and y == plain[i][1]
            assert x.shape[1] == recipe.features.n_mels
            # VTLP keeps the frames; a 0.9–1.1 times faster utterance is 1/1.1 … 1/0.9 as long
            ratio = x.shape[0] / plain[i][0].shape[0]
            assert ratio == 1 if augment.speed == 0 else 1 / 1.1 - 0.02 <= ratio <= 1 / 0.9 + 0.02
        # another epoch, other draws (one item may draw the same speed, rounded to 1/100)
        assert sum(torch.equal(first[i][0], later[i][0]) for i in range(4)) <= 1


@pytest.mark.parametrize(("key", "value", "match"), [
    ("voices", "many", "data.voices: expected all or numbered"),
    ("speed", 0.5, r"data.speed: expected in \[0, 0.5\)"),
    ("vtlp", -0.1, r"data.vtlp: expected in \[0, 0.5\)"),
])
def test_augmentation_and_voice_settings_are_checked(key: str, value: object, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ctc_data.DigitsDataConfig(**{key: value})


def test_resume_equals_an_uninterrupted_run(run) -> None:
    whole = torch.load(run / "whole" / "last.pt", weights_only=True)
    split = torch.load(run / "split" / "last.pt", weights_only=True)
    assert whole["progress"]["position"]["step"] == split["progress"]["position"]["step"] == 6
    for name, value in whole["model"].items():
        assert torch.equal(value, split["model"][name]), name


def test_state_round_trip_and_evaluate_report(run) -> None:
    task = api.load(run / "whole", task="ctc")
    restored = CTCTask.restore(task.recipe, task.state())
    restored.model.load_state_dict(task.model.state_dict())
    waves = [task.split("test-flite").waveform(i) for i in range(4)]
    assert restored.transcribe(waves) == task.transcribe(waves)
    printed = seqkit("evaluate", str(run / "whole"))
    assert printed.exit_code == 0, printed.output
    for needed in ("test-espeak (4 utterances, held-out espeak-ng variants",
                   "test-flite (4 utterances, held-out flite voices", "CER|unit:char",
                   "WER|unit:word", "how: greedy (best path) decoding"):
        assert needed in printed.output
    report = json.loads(seqkit("evaluate", str(run / "whole"), "--json", "--beam", "4").output)
    refs = task.split("test-flite").texts
    hyps = task.transcribe(waves, beam=4)
    errors = sum(_distance(h, r) for h, r in zip(hyps, refs, strict=True))
    assert report["metrics"]["cer_flite"] == pytest.approx(100 * errors / sum(map(len, refs)))
    assert report["settings"]["beam"] == 4
    # each voice's CER over its own utterances, from the voices the corpus recorded
    speakers = task.split("test-flite").voices
    assert set(speakers) <= {f"flite {v}" for v in FLITE_VOICES}
    for voice in set(speakers):
        mine = [i for i, s in enumerate(speakers) if s == voice]
        expected = 100 * sum(_distance(hyps[i], refs[i]) for i in mine) / sum(
            len(refs[i]) for i in mine)
        assert report["metrics"][f"cer_flite/{voice}"] == pytest.approx(expected)
    assert "  CER by voice: flite " in printed.output
    bad = seqkit("evaluate", str(run / "whole"), "--split", "dev")
    assert bad.exit_code == 1 and "--split: expected one of train, valid, test-espeak" in bad.output


def _distance(a: str, b: str) -> int:
    """Levenshtein distance by the textbook table (the oracle for CER)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def test_transcribe_reads_any_rate_and_names_bad_files(run, tmp_path) -> None:
    task = api.load(run / "whole", task="ctc")
    wave = task.split("test-espeak").waveform(0)
    phone = resample(wave, 16_000, 8_000)
    write_wav(tmp_path / "phone.wav", phone, 8_000)
    write_wav(tmp_path / "loud.wav", (wave / wave.abs().max()).clamp(-1, 1))
    printed = seqkit("transcribe", str(run / "whole"), str(tmp_path / "phone.wav"),
                     str(tmp_path / "loud.wav"))
    assert printed.exit_code == 0, printed.output
    lines = printed.output.splitlines()
    expected = task.transcribe([read_wav(tmp_path / "phone.wav"), read_wav(tmp_path / "loud.wav")])
    assert lines == [f"{tmp_path / 'phone.wav'}\t{expected[0]}",
                     f"{tmp_path / 'loud.wav'}\t{expected[1]}"]
    (tmp_path / "empty.wav").write_bytes(b"")
    write_wav(tmp_path / "click.wav", torch.zeros(50))
    for name, message in (("empty.wav", "cannot read WAV audio"),
                          ("click.wav", "audio too short to transcribe")):
        bad = seqkit("transcribe", str(run / "whole"), str(tmp_path / name))
        assert bad.exit_code == 1 and f"{name}: {message}" in bad.output
        assert len(bad.output.strip().splitlines()) == 1


def test_a_word_list_keeps_beam_search_to_its_words(run, tmp_path) -> None:
    words = ["one", "two", "oh", "double"]
    (tmp_path / "words.txt").write_text("\n".join(["", *words, "  "]) + "\n", encoding="utf-8")
    task = api.load(run / "whole", task="ctc")
    waves = [task.split(split).waveform(i) for split in ("test-espeak", "test-flite")
             for i in range(4)]
    lexicon = read_words(tmp_path / "words.txt")
    assert lexicon.words == {tuple(LABELS.index(c) for c in w) for w in words}
    for text in task.transcribe(waves, beam=4, words=lexicon):
        *whole, last = text.split(" ")  # the last word may still be being spelt
        assert all(w in words for w in whole if w), text  # spaces may repeat
        assert any(w.startswith(last) for w in words), text
    evaluate = ("evaluate", str(run / "whole"), "--beam", "4", "--words",
                str(tmp_path / "words.txt"))
    assert json.loads(seqkit(*evaluate, "--json").output)["settings"]["words"] == str(
        tmp_path / "words.txt")
    assert f"kept to the 4 words of {tmp_path / 'words.txt'}" in seqkit(*evaluate).output
    wav = tmp_path / "one.wav"
    write_wav(wav, waves[0])
    printed = seqkit("transcribe", str(run / "whole"), str(wav), "--beam", "4", "--words",
                     str(tmp_path / "words.txt"))
    assert printed.output == f"{wav}\t{task.transcribe(waves[:1], 4, lexicon)[0]}\n"


@pytest.mark.parametrize(("text", "args", "message"), [
    ("one\nTwo\n", ["--beam", "4"], r"words.txt:2: 'Two' is not a word of lower-case letters"),
    ("\n\n", ["--beam", "4"], r"words.txt: no words \(one a line\)"),
    ("one\n", [], r"--words: a word list needs prefix beam search; give --beam K ≥ 2"),
])
def test_bad_word_lists_are_one_line_errors(run, tmp_path, text, args, message) -> None:
    (tmp_path / "words.txt").write_text(text, encoding="utf-8")
    for verb, extra in (("evaluate", []), ("transcribe", [str(tmp_path / "x.wav")])):
        write_wav(tmp_path / "x.wav", torch.zeros(1600))
        bad = seqkit(verb, str(run / "whole"), *extra, "--words", str(tmp_path / "words.txt"),
                     *args)
        assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1, bad.output
        assert re.search(message, bad.output), bad.output


def test_a_model_of_another_task_is_refused(run) -> None:
    other = seqkit("classify-image", str(run / "whole"), "x.png")
    assert other.exit_code == 1
    assert "a ctc model; `classify-image` needs a image_classification model" in other.output
    assert "ctc models answer: transcribe, evaluate" in other.output


def test_recipe_and_data_errors_name_the_key(run, tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"data.max_digits: expected ≥ data.min_digits \(3\)"):
        from_dict(CTCRecipe, {"data": {"min_digits": 3, "max_digits": 2}})
    with pytest.raises(ConfigError, match=r"model.stack: expected ≥ 1"):
        from_dict(CTCRecipe, {"model": {"stack": 0}})
    recipe = load_recipe(run / "tiny.yaml", [f"data.dir={run / 'data'}", "seed=4"])
    with pytest.raises(DataError, match=r"prepared.json: this folder was prepared with"):
        CTCTask.build(recipe)
    pitched = load_recipe(run / "tiny.yaml", [f"data.dir={run / 'data'}",
                                              "data.festival_pitch=[40, 60]"])
    with pytest.raises(DataError, match=r"prepared.json: this folder was prepared with"):
        CTCTask.build(pitched)  # a stale corpus of other voices is not reused
    missing = load_recipe(run / "tiny.yaml", [f"data.dir={tmp_path}", "data.prepare=null"])
    with pytest.raises(DataError, match=r"train-16\.pt: no such file"):
        CTCTask.build(missing)


def test_shipped_recipe_loads() -> None:
    recipe = load_recipe("recipes/ctc-digits.yaml")
    assert recipe.task == "ctc" and recipe.data.prepare == "ctc_digits"
    assert recipe.features.hop_length == 160 and recipe.model.cell == "gru"


def test_cer_by_voice_pools_each_voices_edit_distances() -> None:
    """slt: 1 + 2 errors over 3 + 4 characters, kal16: 0 + 1 over 2 + 4; ordered by voice."""
    by_voice = cer_by_voice(["oe", "tw", "ix", "two"], ["one", "twoo", "ix", "twoo"],
                            ["flite slt", "flite slt", "flite kal16", "flite kal16"])
    assert list(by_voice) == ["flite kal16", "flite slt"]
    assert by_voice["flite slt"] == (pytest.approx(100 * 3 / 7), 2)
    assert by_voice["flite kal16"] == (pytest.approx(100 * 1 / 6), 2)
