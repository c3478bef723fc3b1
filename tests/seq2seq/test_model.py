import itertools

import pytest
import torch
import torch.nn.functional as F

from seqkit.errors import ConfigError
from seqkit.seq2seq import (
    ATTENTIONS,
    CELLS,
    DecodeConfig,
    Encoded,
    Seq2Seq,
    Seq2SeqConfig,
    greedy,
)

from .conftest import BOS, EOS, PAD

CONFIGS = list(itertools.product(CELLS, ATTENTIONS))
E, H, V = 5, 4, 6


def batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """src (3, 5) with lengths 5, 2, 3 (padded with <pad>), tgt_in (3, 4) starting with <s>."""
    src = torch.tensor([[4, 5, 6, 7, 8], [5, 4, PAD, PAD, PAD], [8, 7, 6, PAD, PAD]])
    tgt_in = torch.tensor([[BOS, 4, 5, 1], [BOS, 5, EOS, PAD], [BOS, 4, 4, 4]])
    return src, torch.tensor([5, 2, 3]), tgt_in


def stepped(model: Seq2Seq, src, src_lengths, tgt_in) -> tuple[torch.Tensor, torch.Tensor]:
    """decode_step over tgt_in: stacked log_probs (B, T, V) and alphas (B, T, S)."""
    encoded = model.encode(src, src_lengths)
    state, log_probs, alphas = encoded.state, [], []
    for t in range(tgt_in.shape[1]):
        step = model.decode_step(tgt_in[:, t], state, encoded)
        state = step.state
        log_probs.append(step.log_probs)
        alphas.append(step.alpha)
    return torch.stack(log_probs, 1), torch.stack(alphas, 1)


@pytest.mark.parametrize(("cell", "attention"), CONFIGS)
def test_shapes(toy_model, cell: str, attention: str) -> None:
    model = toy_model(cell=cell, attention=attention)
    src, src_lengths, tgt_in = batch()
    encoded = model.encode(src, src_lengths)
    assert isinstance(encoded, Encoded)
    assert encoded.memory.shape == (3, 5, 2 * H)
    assert encoded.mask.dtype == torch.bool and encoded.mask.tolist()[1] == [1, 1, 0, 0, 0]
    assert (encoded.memory[~encoded.mask] == 0).all()
    assert encoded.keys.shape[:2] == (3, 5)
    assert [s.shape for s in encoded.state] == [(3, 2 * H)] * (2 if cell == "lstm" else 1)
    step = model.decode_step(tgt_in[:, 0], encoded.state, encoded)
    assert step.log_probs.shape == (3, V) and step.alpha.shape == (3, 5)
    assert [s.shape for s in step.state] == [s.shape for s in encoded.state]
    torch.testing.assert_close(step.log_probs.exp().sum(1), torch.ones(3, dtype=torch.float64))
    assert model(src, src_lengths, tgt_in).shape == (3, 4, V)


@pytest.mark.parametrize(("cell", "attention"), CONFIGS)
def test_forward_equals_decode_steps(toy_model, cell: str, attention: str) -> None:
    model = toy_model(cell=cell, attention=attention, encoder_layers=2)
    src, src_lengths, tgt_in = batch()
    log_probs, _ = stepped(model, src, src_lengths, tgt_in)
    torch.testing.assert_close(F.log_softmax(model(src, src_lengths, tgt_in), dim=2), log_probs)


@pytest.mark.parametrize(("cell", "attention"), CONFIGS)
def test_padding_does_not_change_a_sentence(toy_model, cell: str, attention: str) -> None:
    """Sentence 1 alone (S = 2) and in a batch with longer sentences and extra <pad> columns."""
    model = toy_model(cell=cell, attention=attention)
    src, src_lengths, tgt_in = batch()
    wide = F.pad(src, (0, 3), value=PAD)  # S = 8
    alone = stepped(model, src[1:2, :2], src_lengths[1:2], tgt_in[1:2])
    together = stepped(model, wide, src_lengths, tgt_in)
    torch.testing.assert_close(together[0][1], alone[0][0])
    torch.testing.assert_close(together[1][1, :, :2], alone[1][0])
    assert (together[1][1, :, 2:] == 0).all()
    logits = model(wide, src_lengths, tgt_in)[1]
    torch.testing.assert_close(logits, model(src[1:2, :2], src_lengths[1:2], tgt_in[1:2])[0])


def test_every_parameter_trains(toy_model) -> None:
    """All parameters get a gradient from forward (DistributedDataParallel requires it)."""
    model = toy_model(cell="lstm", encoder_layers=2, dropout=0.1).train()
    src, src_lengths, tgt_in = batch()
    model(src, src_lengths, tgt_in).logsumexp(2).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def reversal(n: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """n sources of 2–4 tokens from 4..7 and their reversals: src, src_lengths, tgt (<s> … </s>)."""
    lengths = torch.randint(2, 5, (n,), generator=generator)
    src = torch.randint(4, 8, (n, 4), generator=generator)
    src = torch.where(torch.arange(4) < lengths[:, None], src, PAD)
    tgt = torch.full((n, 6), PAD)
    tgt[:, 0] = BOS
    for i, length in enumerate(lengths.tolist()):
        tgt[i, 1 : length + 1] = src[i, :length].flip(0)
        tgt[i, length + 1] = EOS
    return src, lengths, tgt


def test_learns_to_reverse() -> None:
    """100 Adam steps teach a tiny model to reverse 2–4 tokens (the pieces train together)."""
    torch.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(embedding_dim=16, hidden_size=32), 8, 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(100):
        src, src_lengths, tgt = reversal(32, generator)
        logits = model(src, src_lengths, tgt[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    src, src_lengths, tgt = reversal(100, torch.Generator().manual_seed(1))
    outputs = greedy(model.eval(), src, src_lengths, DecodeConfig(beam=1))
    correct = sum(h.tokens == tgt[i, 1 : n + 1].tolist()
                  for i, (h, n) in enumerate(zip(outputs, src_lengths.tolist(), strict=True)))
    assert correct >= 90


def test_config_errors() -> None:
    with pytest.raises(ConfigError, match=r"model\.cell: unknown 'cnn'; expected one of "
                                          "gru, lstm, rnn"):
        Seq2SeqConfig(cell="cnn")
    with pytest.raises(ValueError, match=r"model\.attention: unknown 'luong'; expected one "
                                         "of bahdanau, dot, general"):
        Seq2SeqConfig(attention="luong")
    with pytest.raises(ValueError, match=r"model\.hidden_size: expected > 0, got 0"):
        Seq2SeqConfig(hidden_size=0)
    with pytest.raises(ValueError, match=r"model\.dropout: expected in \[0, 1\), got 1.0"):
        Seq2SeqConfig(dropout=1.0)
    with pytest.raises(ValueError, match=r"Seq2Seq: expected eos_id in \[0, 6\), got 6"):
        Seq2Seq(Seq2SeqConfig(), 9, 6, eos_id=6)
    with pytest.raises(ValueError, match=r"Seq2Seq: expected distinct pad, bos and eos ids, "
                                         r"got \(0, 2, 2\)"):
        Seq2Seq(Seq2SeqConfig(), 9, 6, eos_id=2)


def test_input_errors(toy_model) -> None:
    model = toy_model()
    src, src_lengths, tgt_in = batch()
    with pytest.raises(ValueError, match=r"Seq2Seq.encode: expected src of rank 2 \(B, S\), "
                                         "got rank 1"):
        model.encode(src[0], src_lengths)
    with pytest.raises(TypeError, match=r"Seq2Seq.encode: expected integer src and src_lengths, "
                                        r"got torch.float32"):
        model.encode(src.float(), src_lengths)
    with pytest.raises(ValueError, match=r"expected src_lengths of shape \(3,\), got \(2,\)"):
        model.encode(src, src_lengths[:2])
    with pytest.raises(ValueError, match=r"expected src_lengths in \[1, 5\], got \[0, 5\]"):
        model.encode(src, torch.tensor([5, 0, 3]))
    with pytest.raises(ValueError, match=r"Seq2Seq.forward: expected tgt_in of shape \(3, T ≥ 1\), "
                                         r"got \(2, 4\)"):
        model(src, src_lengths, tgt_in[:2])
    encoded = model.encode(src, src_lengths)
    with pytest.raises(ValueError, match=r"Seq2Seq.decode_step: expected y_prev of rank 1 \(B,\), "
                                         "got rank 2"):
        model.decode_step(tgt_in, encoded.state, encoded)
