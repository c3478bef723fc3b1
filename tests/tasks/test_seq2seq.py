"""The seq2seq task on tiny parallel text: every tokenizer, state round trip, batches, loss."""

import pytest
import torch

from seqkit.config import from_dict
from seqkit.data import DataError
from seqkit.errors import ConfigError
from seqkit.tasks.seq2seq import Seq2SeqRecipe, Seq2SeqTask

SOURCES = ["the cat sat", "a dog ran far", "the dog sat", "a cat ran", "cats and dogs sat down"]
TARGETS = ["le chat assis", "un chien courut loin", "le chien assis", "un chat courut",
           "chats et chiens assis"]


@pytest.fixture
def data_dir(tmp_path):
    for split, n in (("train", 40), ("valid", 5), ("test", 5)):
        (tmp_path / f"{split}.src").write_text("".join(SOURCES[i % 5] + "\n" for i in range(n)))
        (tmp_path / f"{split}.tgt").write_text("".join(TARGETS[i % 5] + "\n" for i in range(n)))
    return tmp_path


def recipe(data_dir, tokenizer: str) -> Seq2SeqRecipe:
    return from_dict(Seq2SeqRecipe, {
        "data": {"dir": str(data_dir), "tokenizer": tokenizer, "vocab_size": 40,
                 "max_tokens": 60},
        "model": {"embedding_dim": 8, "hidden_size": 8}, "decode": {"beam": 2}})


def has_no_unknowns(task: Seq2SeqTask, line: str) -> bool:
    """Every source token of a training line is in the vocabulary (no <unk>)."""
    return 1 not in task.encode_source(line)


@pytest.mark.parametrize("tokenizer", ["char", "word", "bpe", "unigram"])
def test_build_restore_round_trip(data_dir, tokenizer: str) -> None:
    task = Seq2SeqTask.build(recipe(data_dir, tokenizer))
    state = task.state()
    restored = Seq2SeqTask.restore(recipe(data_dir, tokenizer), state)
    torch.save(state, data_dir / "state.pt")
    assert torch.load(data_dir / "state.pt", weights_only=True) == state  # plain data only
    for line in SOURCES:
        assert restored.encode_source(line) == task.encode_source(line)
        assert has_no_unknowns(task, line)
    example = task.train_examples[0]
    assert restored.detokenize(example.tgt[1:-1]) == TARGETS[0]


@pytest.mark.parametrize("workers", [0, 1])
def test_batches_are_a_function_of_the_epoch_within_budget(data_dir, workers: int) -> None:
    """Padded in the training process (workers 0) or by DataLoader workers: the same batches."""
    settings = recipe(data_dir, "word")
    settings.data.workers = workers
    task = Seq2SeqTask.build(settings)
    first, again, other = task.batches(0), task.batches(0), task.batches(1)
    assert len(first) == len(again)
    assert all(torch.equal(a.tgt, b.tgt) for a, b in zip(first, again, strict=True))
    assert [a.tgt.shape for a in first] != [b.tgt.shape for b in other] or any(
        not torch.equal(a.tgt, b.tgt) for a, b in zip(first, other, strict=False))
    seen = 0
    for batch in first:
        B, S = batch.src.shape
        assert B * max(S, batch.tgt.shape[1] - 2) <= 60 or B == 1
        assert batch.src_lengths.tolist() == [int((row != 0).sum()) for row in batch.src]
        seen += B
    assert seen == len(task.train_examples)
    if workers == 1:
        inline = Seq2SeqTask.build(recipe(data_dir, "word")).batches(0)
        assert all(torch.equal(a.src, b.src) and torch.equal(a.tgt, b.tgt)
                   for a, b in zip(first, inline, strict=True))


def test_loss_counts_target_tokens_and_validation_has_every_metric(data_dir) -> None:
    task = Seq2SeqTask.build(recipe(data_dir, "word"))
    batch = task.batches(0)[0]
    loss, tokens = task.loss(task.model, batch)
    assert tokens == int((batch.tgt[:, 1:] != 0).sum())  # y<1..T> and </s>, not <s>
    assert loss.item() == pytest.approx(torch.log(torch.tensor(len(task.vocabs["tgt"]))).item(),
                                        rel=0.3)  # untrained: close to uniform
    scores = task.validate(task.model)
    assert set(scores) == set(task.metrics)


def test_empty_training_lines_are_left_out_with_a_count(data_dir, capsys) -> None:
    src = (data_dir / "train.src").read_text().splitlines()
    tgt = (data_dir / "train.tgt").read_text().splitlines()
    src[3], tgt[7] = "", "  "
    (data_dir / "train.src").write_text("\n".join(src) + "\n\n")  # and a trailing blank line
    (data_dir / "train.tgt").write_text("\n".join(tgt) + "\n\n")
    task = Seq2SeqTask.build(recipe(data_dir, "word"))
    assert len(task.train_examples) == 38
    assert "left out 3 of 41 training pairs" in capsys.readouterr().err


@pytest.mark.parametrize(("lines", "match"), [
    ("the cat sat\n\n", r"valid\.src, line 2: empty source sentence in the valid split"),
    ("", r"valid\.src: the valid split is empty"),
])
def test_a_broken_valid_split_is_refused_before_training(data_dir, lines, match) -> None:
    (data_dir / "valid.src").write_text(lines)
    (data_dir / "valid.tgt").write_text("le chat assis\n" * lines.count("\n"))
    with pytest.raises(DataError, match=match):
        Seq2SeqTask.build(recipe(data_dir, "word"))


def test_a_missing_or_misaligned_valid_split_is_refused_before_training(data_dir) -> None:
    (data_dir / "valid.tgt").write_text("le chat assis\n")
    with pytest.raises(DataError, match=r"valid\.src has 5 lines but .*valid\.tgt has 1"):
        Seq2SeqTask.build(recipe(data_dir, "word"))
    (data_dir / "valid.tgt").unlink()
    with pytest.raises(DataError, match=r"valid\.tgt: no such file"):
        Seq2SeqTask.build(recipe(data_dir, "word"))


@pytest.mark.parametrize(("changes", "message"), [
    ({"label_smoothing": 1.5}, r"label_smoothing: expected 0 ≤ ε < 1, got 1\.5"),
    ({"data": {"max_tokens": 0}}, r"data\.max_tokens: expected ≥ 1, got 0"),
    ({"data": {"min_freq": 0}}, r"data\.min_freq: expected ≥ 1, got 0"),
])
def test_settings_out_of_range_name_their_key(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(Seq2SeqRecipe, changes)


def test_no_training_pair_within_max_length_is_an_error(data_dir) -> None:
    task = Seq2SeqTask.build(recipe(data_dir, "word"))
    task.recipe.data.max_length = 1
    del task.train_examples
    with pytest.raises(DataError, match=r"train\.src: no training pair of 1 to "
                                        r"data\.max_length=1 tokens"):
        task.batches(0)


def test_empty_training_files_are_an_error(data_dir) -> None:
    (data_dir / "train.src").write_text("")
    (data_dir / "train.tgt").write_text("")
    with pytest.raises(DataError, match=r"train\.src: no training pairs \(empty file\)"):
        Seq2SeqTask.build(recipe(data_dir, "char"))


# --- joint vocabulary, preparation cache and progress ----------------------------------------

def test_a_joint_vocabulary_serves_both_sides(data_dir) -> None:
    settings = recipe(data_dir, "word")
    settings.data.joint_vocab = True
    task = Seq2SeqTask.build(settings)
    assert task.vocabs["src"].to_state() == task.vocabs["tgt"].to_state()
    words = {w for line in SOURCES + TARGETS for w in line.split()}
    assert len(task.vocabs["src"]) == 4 + len(words)  # <pad> <unk> <s> </s> and every word
    restored = Seq2SeqTask.restore(settings, task.state())
    assert restored.encode_source("le chat") == task.encode_source("le chat")
    assert 1 not in task.encode_source("le chat")  # a target word is known on the source side


def test_preparation_is_cached_by_files_and_settings(data_dir, capsys) -> None:
    first = Seq2SeqTask.build(recipe(data_dir, "bpe"))
    err = capsys.readouterr().err
    assert "training the src bpe model (40 pieces) on 40 lines" in err and "cache" not in err
    again = Seq2SeqTask.build(recipe(data_dir, "bpe"))
    err = capsys.readouterr().err
    assert "tokenizers from the cache" in err and "encoded from the cache" in err
    assert "training the src" not in err
    assert again.state() == first.state() and again.train_examples == first.train_examples
    other = recipe(data_dir, "bpe")
    other.data.vocab_size = 38
    Seq2SeqTask.build(other)
    assert "training the src bpe model (38 pieces)" in capsys.readouterr().err
    (data_dir / "train.tgt").write_text((data_dir / "train.tgt").read_text().replace(
        "chat", "chatte"))
    changed = Seq2SeqTask.build(recipe(data_dir, "bpe"))
    assert "tokenizers from the cache" not in capsys.readouterr().err
    assert changed.detokenize(changed.train_examples[0].tgt[1:-1]) == "le chatte assis"


def test_a_damaged_cache_file_is_computed_again(data_dir, capsys) -> None:
    Seq2SeqTask.build(recipe(data_dir, "word"))
    for file in (data_dir / ".cache").iterdir():
        file.write_bytes(b"not a torch file")
    task = Seq2SeqTask.build(recipe(data_dir, "word"))
    assert "is unreadable; computing it again" in capsys.readouterr().err
    assert len(task.train_examples) == 40


def test_tokenising_shows_progress(data_dir, capsys, monkeypatch) -> None:
    from seqkit.tasks.seq2seq import data
    monkeypatch.setattr(data, "PROGRESS_SECONDS", 0.0)  # a line after every sentence
    Seq2SeqTask.build(recipe(data_dir, "word"))
    err = capsys.readouterr().err
    assert "tokenising train sources: 20/40" in err and "tokenising train targets: 40/40" in err
    monkeypatch.setattr(data, "PROGRESS_SECONDS", 60.0)  # quick work says nothing
    (data_dir / ".cache").rename(data_dir / "old-cache")
    Seq2SeqTask.build(recipe(data_dir, "word"))
    assert "tokenising" not in capsys.readouterr().err


# --- references -------------------------------------------------------------------------------

def test_bleu_against_one_and_all_references_with_signatures(data_dir) -> None:
    """BLEU against data.tgt and against data.tgt + data.extra_refs, equal to sacrebleu's."""
    sacrebleu = pytest.importorskip("sacrebleu")
    second = ["le chat est assis", "un chien courait loin", "le chien est assis",
              "un chat courait", "des chats et des chiens assis"]
    (data_dir / "test.alt").write_text("".join(second[i % 5] + "\n" for i in range(5)))
    settings = recipe(data_dir, "word")
    settings.data.extra_refs = ["alt"]
    task = Seq2SeqTask.build(settings)
    report = task.evaluate("test", beam=2)
    hypotheses = task.translate(SOURCES, beam=2)
    one = sacrebleu.corpus_bleu(hypotheses, [TARGETS])
    both = sacrebleu.corpus_bleu(hypotheses, [TARGETS, second])
    assert report.metrics["bleu"] == pytest.approx(one.score)
    assert report.metrics["bleu_all_refs"] == pytest.approx(both.score)
    assert report.lines[0].startswith("BLEU|nrefs:1|") and report.lines[0].endswith(
        "(reference: tgt)")
    assert report.lines[1].startswith("BLEU|nrefs:2|") and report.lines[1].endswith(
        "(references: tgt + alt)")
    assert report.settings["references"] == ["tgt", "alt"]
    assert "sentences/s" in report.lines[3]


def test_extra_references_must_align_and_differ(data_dir) -> None:
    (data_dir / "test.alt").write_text("one line\n")
    settings = recipe(data_dir, "word")
    settings.data.extra_refs = ["alt"]
    task = Seq2SeqTask.build(settings)
    with pytest.raises(DataError, match=r"test\.alt has 1 lines but .*test\.src has 5 "
                                        r"\(data\.extra_refs\)"):
        task.evaluate("test")
    with pytest.raises(ConfigError, match=r"data\.extra_refs: expected file suffixes other than "
                                          r"data\.src and data\.tgt, got 'tgt'"):
        from_dict(Seq2SeqRecipe, {"data": {"extra_refs": ["tgt"]}})


# --- the command line, end to end, with the new options ----------------------------------------

OPTIONS = {"readout": "attentional", "readout_dim": 8, "tie_embeddings": True,
           "input_feeding": True, "decoder_layers": 2, "dropout": 0.1}


def seqkit(*args: str):
    from click.testing import CliRunner

    from seqkit.cli import main
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def recipe_file(data_dir, tmp_path):
    import yaml
    (data_dir / "test.alt").write_text("".join(f"{t} !\n" for t in TARGETS))
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump({
        "task": "seq2seq", "seed": 2, "label_smoothing": 0.1,
        "data": {"dir": str(data_dir), "tokenizer": "word", "joint_vocab": True,
                 "max_tokens": 40, "extra_refs": ["alt"]},
        "model": {"embedding_dim": 8, "hidden_size": 8, **OPTIONS},
        "train": {"lr": 0.02, "epochs": 50, "valid_every": 5, "log_every": 5, "threads": 1},
        "decode": {"beam": 2}}))
    return path


def test_train_resume_evaluate_average_translate(recipe_file, tmp_path) -> None:
    def train(out: str, steps: int, *more: str):
        result = seqkit("train", str(recipe_file), "--out", str(tmp_path / out),
                        "--set", f"train.max_steps={steps}", *more)
        assert result.exit_code == 0, result.output

    train("a", 7)
    train("a", 14, "--resume")
    train("b", 14)
    a = torch.load(tmp_path / "a" / "last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b" / "last.pt", weights_only=True)["model"]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

    report = seqkit("evaluate", str(tmp_path / "b"), "--beam", "2", "--fixed-width")
    assert report.exit_code == 0, report.output
    lines = report.output.splitlines()
    assert "beam=2 fixed_width" in lines[0]
    assert lines[1].startswith("BLEU|nrefs:1|") and lines[2].startswith("BLEU|nrefs:2|")

    averaged = seqkit("average", str(tmp_path / "a" / "last.pt"), str(tmp_path / "b" / "best.pt"),
                      "--out", str(tmp_path / "avg.pt"))
    assert averaged.exit_code == 0, averaged.output
    best = torch.load(tmp_path / "b" / "best.pt", weights_only=True)["model"]
    mean = torch.load(tmp_path / "avg.pt", weights_only=True)["model"]
    torch.testing.assert_close(mean["cell.weight_ih"], (a["cell.weight_ih"]
                                                        + best["cell.weight_ih"]) / 2)
    assert seqkit("evaluate", str(tmp_path / "avg.pt")).exit_code == 0

    translated = seqkit("translate", str(tmp_path / "avg.pt"), str(tmp_path / "in.txt"))
    assert translated.exit_code != 0  # no such input file
    (tmp_path / "in.txt").write_text("the cat sat\n\na dog ran far\n")
    translated = seqkit("translate", str(tmp_path / "avg.pt"), str(tmp_path / "in.txt"),
                        "--fixed-width", "--n-best", "2")
    assert translated.exit_code == 0, translated.output
    assert {line.split(" ||| ")[0] for line in translated.output.splitlines()} == {"0", "1", "2"}


def test_a_model_of_another_task_is_refused(tmp_path) -> None:
    from seqkit.train.checkpoint import save_checkpoint
    save_checkpoint(tmp_path / "lm.pt", {"recipe": {"task": "language_model"}, "task": {},
                                         "model": {}})
    result = seqkit("translate", str(tmp_path / "lm.pt"), "-")
    assert result.exit_code == 1
    assert "a language_model model; `translate` needs a seq2seq model" in result.output
