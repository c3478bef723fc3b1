"""Windows streamed from disk: brute-force windows, subsampling and dynamic-window rates, exact
resume from a state_dict, errors."""

import itertools

import pytest
import torch

from seqkit.data.errors import DataError
from seqkit.embeddings.corpus import WindowStream, context_windows
from seqkit.embeddings.vocab import WordVocab


def write_corpus(path, lines):
    path.write_text("".join(" ".join(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_context_windows_match_brute_force():
    g = torch.Generator().manual_seed(0)
    W, N = 3, 40
    ids = torch.randint(0, 9, (N,), generator=g)
    sentence = torch.randint(0, 4, (N,), generator=g).sort().values
    reduced = torch.randint(1, W + 1, (N,), generator=g)
    context, mask = context_windows(ids, sentence, W, reduced)
    assert context.shape == mask.shape == (N, 2 * W)
    offsets = [*range(-W, 0), *range(1, W + 1)]
    for i in range(N):
        for slot, d in enumerate(offsets):
            j = i + d
            inside = 0 <= j < N and sentence[j] == sentence[i] and abs(d) <= reduced[i]
            assert bool(mask[i, slot]) == inside
            if inside:
                assert context[i, slot] == ids[j]


def test_docstring_example():
    context, mask = context_windows(torch.tensor([7, 8, 9]), torch.zeros(3, dtype=torch.long), 2,
                                    torch.tensor([2, 1, 2]))
    assert (context * mask).tolist() == [[0, 0, 8, 9], [0, 7, 9, 0], [7, 8, 0, 0]]


def test_stream_covers_every_known_word_once_per_epoch(tmp_path):
    lines = [["a", "b", "c", "zz"], ["b", "a"], ["c"], [], ["a", "c", "b", "a", "b"]] * 7
    path = write_corpus(tmp_path / "corpus.txt", lines)
    vocab = WordVocab.build(lines, min_count=2)  # zz is unknown
    stream = WindowStream(path, vocab, window=2, sample=0, batch_words=6, epochs=2)
    batches = list(stream)
    # every known word once per epoch, in order; the lone "c" has an empty window
    text = [vocab.index[w] for line in lines for w in line if w in vocab]
    assert torch.cat([b.center for b in batches]).tolist() == text * 2
    assert sum(b.words for b in batches) == 2 * len(text)
    lone = torch.cat([b.center[~b.mask.any(1)] for b in batches])
    assert lone.tolist() == [vocab.index["c"]] * 14


def test_subsampling_keeps_each_word_at_its_rate(tmp_path):
    lines = [["the"] * 8 + [f"w{i}" for i in range(12)]] * 2000
    path = write_corpus(tmp_path / "corpus.txt", lines)
    vocab = WordVocab.build(lines, min_count=1)
    # t = 0.02 · 40000 = 800: "the" (f = 16000) is kept with (√20 + 1)/20 ≈ 0.27, the others
    # (f = 2000 < 2.618 t) always
    keep = vocab.keep_probs(0.02)
    assert 0.27 < keep[vocab.index["the"]] < 0.28 and keep[vocab.index["w0"]] == 1
    stream = WindowStream(path, vocab, window=5, sample=0.02, batch_words=3000)
    centers = torch.cat([b.center for b in stream])
    seen = torch.bincount(centers, minlength=len(vocab)).double()
    torch.testing.assert_close(seen / vocab.counts, keep, atol=0.02, rtol=0)


def test_dynamic_window_uses_offset_d_with_probability_w_minus_d_plus_1_over_w(tmp_path):
    W = 4
    lines = [[f"w{i % 10}" for i in range(5000)]]  # one long sentence
    path = write_corpus(tmp_path / "corpus.txt", lines)
    vocab = WordVocab.build(lines, min_count=1)
    batch = next(iter(WindowStream(path, vocab, window=W, sample=0, batch_words=10_000)))
    used = batch.mask[W:-W].double().mean(0)  # (2W,) away from the sentence ends
    expected = torch.tensor([(W - abs(d) + 1) / W for d in [*range(-W, 0), *range(1, W + 1)]],
                            dtype=torch.float64)
    torch.testing.assert_close(used, expected, atol=0.03, rtol=0)
    assert torch.equal(batch.mask[:, :W].flip(1).sum(0) > 0, torch.ones(W, dtype=torch.bool))


def test_resume_from_state_dict_equals_uninterrupted(tmp_path):
    lines = [[f"w{(i * 7 + j) % 13}" for j in range(i % 9 + 2)] for i in range(200)]
    path = write_corpus(tmp_path / "corpus.txt", lines)
    vocab = WordVocab.build(lines, min_count=1)

    def stream():
        return WindowStream(path, vocab, window=3, sample=0.01, batch_words=50, epochs=2, seed=3)

    full = list(stream())
    first = stream()
    head = list(itertools.islice(first, 7))
    torch.save(first.state_dict(), tmp_path / "state.pt")
    resumed = stream()
    resumed.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    rest = list(resumed)
    assert len(head) + len(rest) == len(full) and len(full) > 20
    for a, b in zip(head + rest, full, strict=True):
        assert torch.equal(a.center, b.center) and torch.equal(a.mask, b.mask)
        assert torch.equal(a.context[a.mask], b.context[b.mask]) and a.words == b.words


def test_errors(tmp_path):
    vocab = WordVocab(["a"], [3])
    with pytest.raises(DataError, match=r"missing\.txt: no such corpus file"):
        WindowStream(tmp_path / "missing.txt", vocab)
    with pytest.raises(DataError, match="window must be ≥ 1, got 0"):
        WindowStream(tmp_path / "missing.txt", vocab, window=0)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"a a\na \xff a\n")
    with pytest.raises(DataError, match=r"bad.txt, byte 6: not UTF-8"):
        list(WindowStream(bad, vocab, sample=0))
