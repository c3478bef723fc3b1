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


def test_batches_are_a_function_of_the_epoch_within_budget(data_dir) -> None:
    task = Seq2SeqTask.build(recipe(data_dir, "word"))
    first, again, other = task.batches(0), task.batches(0), task.batches(1)
    assert first.batches == again.batches and first.batches != other.batches
    assert sorted(i for b in first.batches for i in b) == list(range(len(task.train_examples)))
    for indices, batch in zip(first.batches, first, strict=True):  # loaded by a DataLoader
        examples = [task.train_examples[i] for i in indices]
        B, S = batch.src.shape
        assert B * max(S, batch.tgt.shape[1] - 2) <= 60 or B == 1
        assert batch.src_lengths.tolist() == [len(e.src) for e in examples]
        assert batch.tgt[0, :len(examples[0].tgt)].tolist() == examples[0].tgt


def test_loss_counts_target_tokens_and_validation_has_every_metric(data_dir) -> None:
    task = Seq2SeqTask.build(recipe(data_dir, "word"))
    batches = task.batches(0)
    batch, examples = batches[0], [task.train_examples[i] for i in batches.batches[0]]
    loss, tokens = task.loss(task.model, batch)
    assert tokens == sum(len(e.tgt) - 1 for e in examples)  # y<1..T> and </s>, not <s>
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
