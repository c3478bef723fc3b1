"""Beam search at scale: finished sentences leave the batch and the history is kept per step, yet
the outputs equal the previous search's exactly; fixed-width against narrowing beams."""

import itertools

import pytest
import torch
import torch.nn.functional as F

from seqkit.seq2seq import DecodeConfig, Hypothesis, Seq2Seq, Seq2SeqConfig, beam_search
from seqkit.seq2seq.beam import History, read_back

from . import previous_beam
from .conftest import BOS, EOS, PAD, MarkovDecoder, pad_batch
from .test_model import reversal
from .test_search import LENGTHS, SHORT, SRC, exhaustive


def assert_same(new: list[list[Hypothesis]], old: list[list[Hypothesis]]) -> None:
    """Same outputs; the numbers to rounding (a smaller batch may round a product otherwise)."""
    assert len(new) == len(old)
    for a_list, b_list in zip(new, old, strict=True):
        assert [h.tokens for h in a_list] == [h.tokens for h in b_list]
        for a, b in zip(a_list, b_list, strict=True):
            assert a.score == pytest.approx(b.score, rel=1e-12, abs=1e-12)
            assert a.log_prob == pytest.approx(b.log_prob, rel=1e-12, abs=1e-12)
            torch.testing.assert_close(a.attention, b.attention, rtol=1e-6, atol=1e-12)


def random_sources(n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.randint(1, 7, (n,), generator=generator).tolist()
    return pad_batch([torch.randint(4, 9, (s,), generator=generator).tolist() for s in lengths])


CONFIGS = [dict(beam=1), dict(beam=3, n_best=2, alpha=0.7), dict(beam=5, n_best=5, alpha=0.0),
           dict(beam=4, alpha=1.0, length_penalty="gnmt", max_ratio=0.5, max_extra=3)]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("settings", CONFIGS)
def test_equals_the_previous_beam_on_random_markov_toys(seed: int, settings: dict) -> None:
    generator = torch.Generator().manual_seed(seed)
    table = torch.rand(6, 6, generator=generator, dtype=torch.float64) ** 3  # peaked rows
    model = MarkovDecoder(table)
    src, lengths = random_sources(12, generator)
    config = DecodeConfig(**settings)
    assert_same(beam_search(model, src, lengths, config),
                previous_beam.beam_search(model, src, lengths, config))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("settings", CONFIGS)
def test_equals_the_previous_beam_on_toy_models(toy_model, cell: str, settings: dict) -> None:
    model = toy_model(seed=3, cell=cell, readout="attentional", input_feeding=True)
    src, lengths = random_sources(10, torch.Generator().manual_seed(0))
    config = DecodeConfig(**settings)
    assert_same(beam_search(model, src, lengths, config),
                previous_beam.beam_search(model, src, lengths, config))


@pytest.fixture(scope="module")
def reverser() -> Seq2Seq:
    """A tiny model trained for 60 Adam steps to reverse 2–4 tokens (partly right, so that its
    beams finish at different steps). On one thread: a module fixture runs before the tests'
    one_thread fixture, and on a loaded machine two threads wait on each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(embedding_dim=16, hidden_size=32), 8, 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(60):
        src, src_lengths, tgt = reversal(32, generator)
        logits = model(src, src_lengths, tgt[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    torch.set_num_threads(threads)
    return model.eval()


@pytest.mark.parametrize("settings", CONFIGS)
def test_equals_the_previous_beam_on_a_trained_model(reverser, settings: dict) -> None:
    src, lengths, _ = reversal(40, torch.Generator().manual_seed(1))
    config = DecodeConfig(**settings)
    assert_same(beam_search(reverser, src, lengths, config),
                previous_beam.beam_search(reverser, src, lengths, config))


def test_finished_sentences_leave_the_batch(reverser) -> None:
    """The rows stepped shrink as sentences end: fewer rows than B·K at every step, all told."""
    src, lengths, _ = reversal(40, torch.Generator().manual_seed(1))
    rows: list[int] = []
    step = reverser.decode_step
    reverser.decode_step = lambda y, *rest: rows.append(len(y)) or step(y, *rest)
    try:
        beam_search(reverser, src, lengths, DecodeConfig(beam=3, alpha=0.0))
    finally:
        del reverser.decode_step
    assert rows[0] == 40 * 3 and rows == sorted(rows, reverse=True) and rows[-1] < rows[0]
    assert sum(rows) < 40 * 3 * len(rows)


def test_read_back_follows_the_parents() -> None:
    """Two steps of two rows: step 2's row 0 extends step 1's row 1, its row 1 extends row 0."""
    alpha = [torch.tensor([[1.0, 0], [0, 1]]), torch.tensor([[0.5, 0.5], [0.25, 0.75]])]
    history = History([torch.tensor([4, 5]), torch.tensor([6, 7])],
                      [torch.tensor([0, 0]), torch.tensor([1, 0])], alpha)
    last = torch.tensor([[0.875, 0.125], [0.375, 0.625]])  # the closing </s>'s attention
    tokens, alphas = read_back(history, torch.tensor([0, 1]), last)
    assert tokens.tolist() == [[5, 6], [4, 7]]  # row 0: 5 (step 1 row 1) then 6
    assert alphas.tolist() == [[[0, 1], [0.5, 0.5], [0.875, 0.125]],
                               [[1, 0], [0.25, 0.75], [0.375, 0.625]]]  # exact in binary
    empty, first = read_back(History([], [], []), torch.tensor([0]), last[:1])
    assert empty.shape == (1, 0) and first.tolist() == [[[0.875, 0.125]]]


@pytest.mark.parametrize(("kind", "alpha"), [("notes", 0.0), ("notes", 0.7), ("gnmt", 2.0)])
def test_wide_fixed_width_beam_is_the_exhaustive_argmax(toy_model, kind, alpha) -> None:
    """K = 40 ≥ the 40 outputs of ≤ 4 tokens: the fixed-width n-best list is the exhaustive
    ranking too."""
    model = toy_model(seed=2)
    config = DecodeConfig(beam=40, n_best=5, alpha=alpha, length_penalty=kind,
                          fixed_width=True, **SHORT)
    for sentence, nbest in enumerate(beam_search(model, SRC, LENGTHS, config)):
        ranking = exhaustive(model, sentence, config)[:5]
        assert [h.tokens for h in nbest] == [y for _, y in ranking]
        assert [h.score for h in nbest] == pytest.approx([s for s, _ in ranking], abs=1e-9)


def test_fixed_width_keeps_what_narrowing_drops(markov) -> None:
    """K = 2, lp(T) = T: at t = 1 </s> (P 0.4) finishes, so the narrowing beam keeps one live
    hypothesis, "a" (0.35), loses "b" (0.25) and ends with "a a a </s>" (log 0.02835 / 4 =
    −0.89); the fixed-width beam keeps both and finds the exhaustive argmax "b <unk> </s>"
    (log 0.25 / 3 = −0.46)."""
    model = markov({BOS: {EOS: 0.4, 4: 0.35, 5: 0.25}, 4: {4: 0.9, EOS: 0.1},
                    5: {1: 1.0}, 1: {EOS: 1.0}})
    src, lengths = torch.tensor([[4, 4]]), torch.tensor([2])
    settings = dict(beam=2, alpha=1.0, max_ratio=0.0, max_extra=4)
    (narrow,) = beam_search(model, src, lengths, DecodeConfig(**settings))
    (fixed,) = beam_search(model, src, lengths, DecodeConfig(**settings, fixed_width=True))
    outputs = [[], *[[a] for a in (1, 4, 5)], *[[a, b] for a in (1, 4, 5) for b in (1, 4, 5)],
               *[[a, b, c] for a in (1, 4, 5) for b in (1, 4, 5) for c in (1, 4, 5)]]
    scored = []
    for y in outputs:
        path = [BOS, *y, EOS]
        log_p = sum(float(model.log_table[p, n]) for p, n in itertools.pairwise(path))
        scored.append((log_p / len(path[1:]), y))
    best = max(scored)[1]
    assert best == [5, 1] and fixed[0].tokens == best and narrow[0].tokens == [4, 4, 4]
    assert fixed[0].score == pytest.approx(max(scored)[0])
