"""The model's options: attentional readout (Luong), input feeding, stacked decoder layers, tied
target embeddings. Each is checked for shapes, forward = step-by-step decoding, a save/load round
trip, and a toy it learns."""

import io

import pytest
import torch
import torch.nn.functional as F

from seqkit.errors import ConfigError
from seqkit.seq2seq import DecodeConfig, Seq2Seq, Seq2SeqConfig, beam_search, greedy

from .test_model import batch, reversal, stepped

E, H, V = 5, 4, 6
OPTIONS = {
    "attentional": {"readout": "attentional", "readout_dim": 3},
    "feeding": {"readout": "attentional", "readout_dim": 3, "input_feeding": True},
    "two layers": {"decoder_layers": 2},
    "tied": {"readout": "attentional", "readout_dim": E, "tie_embeddings": True},
    "all": {"readout": "attentional", "readout_dim": E, "tie_embeddings": True,
            "input_feeding": True, "decoder_layers": 3},
    "after": {"attend": "after"},
    "after attentional": {"attend": "after", "readout": "attentional", "readout_dim": 3},
    "after, two layers": {"attend": "after", "readout": "attentional", "readout_dim": E,
                          "tie_embeddings": True, "decoder_layers": 2},
    "after with feeding (Joey)": {"attend": "after", "readout": "attentional", "readout_dim": 3,
                                  "input_feeding": True, "decoder_layers": 2},
}
FUSED = [name for name, options in OPTIONS.items()  # teacher forcing in one kernel call
         if options.get("attend") == "after" and not options.get("input_feeding")]
CASES = [(name, cell) for name in OPTIONS for cell in ("gru", "lstm")]


@pytest.mark.parametrize(("name", "cell"), CASES)
def test_state_layout_and_shapes(toy_model, name: str, cell: str) -> None:
    """State: s<t> of each of L layers (B, 2H), their lstm memory cells, then h̃<t> (B, D)."""
    options = OPTIONS[name]
    model = toy_model(cell=cell, **options)
    L = options.get("decoder_layers", 1)
    expected = [(3, 2 * H)] * L * (2 if cell == "lstm" else 1)
    expected += [(3, options["readout_dim"])] if options.get("input_feeding") else []
    src, src_lengths, tgt_in = batch()
    encoded = model.encode(src, src_lengths)
    assert [tuple(s.shape) for s in encoded.state] == expected
    step = model.decode_step(tgt_in[:, 0], encoded.state, encoded)
    assert [tuple(s.shape) for s in step.state] == expected
    assert step.log_probs.shape == (3, V) and step.alpha.shape == (3, 5)
    assert model(src, src_lengths, tgt_in).shape == (3, 4, V)


@pytest.mark.parametrize(("name", "cell"), CASES)
def test_forward_equals_decode_steps(toy_model, name: str, cell: str) -> None:
    model = toy_model(cell=cell, **OPTIONS[name])
    src, src_lengths, tgt_in = batch()
    log_probs, _ = stepped(model, src, src_lengths, tgt_in)
    torch.testing.assert_close(F.log_softmax(model(src, src_lengths, tgt_in), dim=2), log_probs)


def notes_loop(model: Seq2Seq, src, src_lengths, tgt_in) -> torch.Tensor:
    """The oracle of teacher forcing: the decoder stepped as the module's docstring writes it,
    every cell through its ``forward`` on the concatenation of its inputs → logits (B, T, V)."""
    config, encoded = model.config, model.encode(src, src_lengths)
    L, lstm, before = config.decoder_layers, config.cell == "lstm", config.attend == "before"
    e = model.dropout(model._embed_target(tgt_in))  # (B, T, E)
    state, features = encoded.state, []
    for t in range(tgt_in.shape[1]):
        s, memory_cells = state[:L], state[L:2 * L] if lstm else ()
        if before:  # c<t> from s<t−1>
            c, _ = model.attention(s[-1], encoded.keys, encoded.memory, encoded.mask)
        x = [e[:, t], c] if before else [e[:, t]]
        x = torch.cat([*x, state[-1]] if config.input_feeding else x, dim=1)
        new_s, new_memory = [], []
        for layer, cell in enumerate([model.cell, *model.stacked_cells]):
            x = model.dropout(new_s[-1]) if layer else x
            new = cell(x, (s[layer], memory_cells[layer])) if lstm else (cell(x, s[layer]),)
            new_s.append(new[0])
            new_memory.extend(new[1:])
        state = (*new_s, *new_memory)
        if not before:  # c<t> from s<t>
            c, _ = model.attention(new_s[-1], encoded.keys, encoded.memory, encoded.mask)
        if config.readout == "concat":
            features.append(torch.cat([new_s[-1], c, e[:, t]], dim=1))
        else:
            h_tilde = torch.tanh(model.attentional(model.dropout(torch.cat([new_s[-1], c], 1))))
            state = (*state, h_tilde) if config.input_feeding else state
            features.append(h_tilde)
    return model.readout(model.dropout(torch.stack(features, dim=1)))


@pytest.mark.parametrize("name", ["concat", *OPTIONS])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_forward_equals_the_notes_loop_with_gradients(toy_model, name: str, cell: str) -> None:
    """forward (the embeddings' share of the first cell's input product for all t at once,
    one unbind; or, attending after the cells without input feeding, torch's fused kernel)
    against the loop of cells on concatenations: the same logits and gradients in float64, in
    training mode with dropout (the same masks: both draw them in the same order; the fused
    kernel draws its own, so it is compared without dropout here)."""
    dropout = 0.0 if name in FUSED else 0.3
    model = toy_model(cell=cell, dropout=dropout, **OPTIONS.get(name, {})).train()
    src, src_lengths, tgt_in = batch()
    weights = torch.randn(3, 4, V, dtype=torch.float64)
    grads = []
    for run in (notes_loop, Seq2Seq.forward):
        torch.manual_seed(5)
        model.zero_grad()
        logits = run(model, src, src_lengths, tgt_in)
        (logits * weights).sum().backward()
        grads.append((logits.detach(), [p.grad.clone() for p in model.parameters()]))
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", FUSED)
def test_the_fused_decoder_drops_out_in_training_only(toy_model, name: str) -> None:
    """Attending after the cells, teacher forcing with dropout: masks follow the seed (a run
    repeats exactly, another seed differs), and eval mode uses none (= stepping decode_step)."""
    model = toy_model(dropout=0.3, **OPTIONS[name]).train()
    src, src_lengths, tgt_in = batch()
    runs = []
    for seed in (1, 1, 2):
        torch.manual_seed(seed)
        runs.append(model(src, src_lengths, tgt_in))
    torch.testing.assert_close(runs[1], runs[0], rtol=0, atol=0)
    assert not torch.allclose(runs[2], runs[0])
    model.eval()
    log_probs, _ = stepped(model, src, src_lengths, tgt_in)
    torch.testing.assert_close(F.log_softmax(model(src, src_lengths, tgt_in), dim=2), log_probs)


def test_attentional_readout_is_luongs_equation(toy_model) -> None:
    """P(y<1>|x) = softmax(W_o tanh(W_c [s<1>; c<1>] + b_c) + b_o), s<1> from the cell on
    [E y<0>; c<1>; h̃<0> = 0], c<1> the attention of s<0> (Luong et al. Eq. 5, §3.3)."""
    model = toy_model(**OPTIONS["feeding"])
    src, src_lengths, tgt_in = batch()
    encoded = model.encode(src, src_lengths)
    s_0, h_0 = encoded.state
    assert (h_0 == 0).all()
    c, _ = model.attention(s_0, encoded.keys, encoded.memory, encoded.mask)
    x = torch.cat([model.tgt_embedding(tgt_in[:, 0]), c, h_0], dim=1)
    s_1 = model.cell(x, s_0)
    W_c, b_c = model.attentional.weight, model.attentional.bias
    h_1 = torch.tanh(torch.cat([s_1, c], dim=1) @ W_c.T + b_c)
    expected = F.log_softmax(h_1 @ model.readout.weight.T + model.readout.bias, dim=1)
    step = model.decode_step(tgt_in[:, 0], encoded.state, encoded)
    torch.testing.assert_close(step.log_probs, expected)
    torch.testing.assert_close(step.state, (s_1, h_1))


def test_the_attentional_readout_costs_D_times_4H_plus_V(toy_model) -> None:
    """Readout weights: (4H + E)·V for concat, D·4H + V·D for the attentional vector (biases
    aside); tied, W_o is the embedding matrix itself and adds nothing."""
    concat, attentional = toy_model(), toy_model(**OPTIONS["attentional"])
    assert concat.readout.weight.numel() == (4 * H + E) * V
    D = 3
    assert attentional.attentional.weight.numel() + attentional.readout.weight.numel() == (
        D * 4 * H + V * D)
    tied = toy_model(**OPTIONS["tied"])
    assert tied.readout.weight is tied.tgt_embedding.weight
    untied = toy_model(**{**OPTIONS["tied"], "tie_embeddings": False})
    size = sum(p.numel() for p in untied.parameters()) - sum(p.numel() for p in tied.parameters())
    assert size == V * E


@pytest.mark.parametrize("name", list(OPTIONS))
def test_save_and_load_give_the_same_model(toy_model, name: str) -> None:
    """A state_dict through torch.save (weights_only) into a fresh model: same outputs; tied
    weights stay one tensor after loading."""
    model = toy_model(**OPTIONS[name], seed=1)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh = toy_model(**OPTIONS[name], seed=2)
    fresh.load_state_dict(torch.load(buffer, weights_only=True))
    src, src_lengths, tgt_in = batch()
    torch.testing.assert_close(fresh(src, src_lengths, tgt_in), model(src, src_lengths, tgt_in))
    if OPTIONS[name].get("tie_embeddings"):
        assert fresh.readout.weight is fresh.tgt_embedding.weight


@pytest.mark.parametrize("name", list(OPTIONS))
def test_every_parameter_trains(toy_model, name: str) -> None:
    model = toy_model(cell="lstm", dropout=0.1, **OPTIONS[name]).train()
    src, src_lengths, tgt_in = batch()
    model(src, src_lengths, tgt_in).logsumexp(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_beam_of_one_is_greedy_with_every_option(toy_model) -> None:
    model = toy_model(**OPTIONS["all"], seed=3)
    src, src_lengths, _ = batch()
    config = DecodeConfig(beam=1, max_ratio=0.0, max_extra=6)
    assert [n[0].tokens for n in beam_search(model, src, src_lengths, config)] == [
        h.tokens for h in greedy(model, src, src_lengths, config)]


def test_learns_to_reverse_with_every_option() -> None:
    """150 Adam steps with the attentional readout, input feeding, tied embeddings and two
    decoder layers reverse 2–4 tokens."""
    torch.manual_seed(0)
    config = Seq2SeqConfig(embedding_dim=16, hidden_size=32, readout="attentional",
                           readout_dim=16, input_feeding=True, tie_embeddings=True,
                           decoder_layers=2)
    model = Seq2Seq(config, 8, 8)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    for _ in range(150):
        src, src_lengths, tgt = reversal(32, generator)
        logits = model(src, src_lengths, tgt[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten(), ignore_index=0)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    src, src_lengths, tgt = reversal(100, torch.Generator().manual_seed(1))
    outputs = greedy(model.eval(), src, src_lengths, DecodeConfig(beam=1))
    correct = sum(h.tokens == tgt[i, 1 : n + 1].tolist()
                  for i, (h, n) in enumerate(zip(outputs, src_lengths.tolist(), strict=True)))
    assert correct >= 90


@pytest.mark.parametrize(("options", "message"), [
    ({"input_feeding": True}, r"model\.input_feeding: needs model\.readout: attentional, "
                              r"got 'concat'"),
    ({"tie_embeddings": True}, r"model\.tie_embeddings: needs model\.readout: attentional"),
    ({"readout": "attentional", "tie_embeddings": True, "embedding_dim": 8, "hidden_size": 8},
     r"model\.tie_embeddings: needs model\.readout_dim equal to model\.embedding_dim=8, got 16"),
    ({"readout_dim": 0}, r"model\.readout_dim: expected > 0 or null, got 0"),
    ({"decoder_layers": 0}, r"model\.decoder_layers: expected > 0, got 0"),
    ({"readout": "deep"}, r"model\.readout: unknown 'deep'; expected one of concat, attentional"),
    ({"attend": "later"}, r"model\.attend: unknown 'later'; expected one of before, after"),
])
def test_option_errors(options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Seq2SeqConfig(**options)


def test_tied_embeddings_start_at_the_scale_of_a_uniform_guess() -> None:
    """Shared matrix N(0, 1/E): the first logits are O(1), so the untrained loss is near ln V
    (with N(0, 1) rows it would be far above); the decoder reads √E · E y, of std ≈ 1."""
    torch.manual_seed(0)
    V, E = 2000, 64
    config = Seq2SeqConfig(embedding_dim=E, hidden_size=16, readout="attentional",
                           readout_dim=E, tie_embeddings=True)
    model = Seq2Seq(config, 50, V)
    assert model.tgt_embedding.weight[4:].std().item() == pytest.approx(E ** -0.5, rel=0.05)
    src, src_lengths, _ = batch()
    tgt = torch.randint(4, V, (3, 9))
    with torch.no_grad():
        logits = model(src, src_lengths, tgt[:, :-1])
        loss = F.cross_entropy(logits.flatten(0, 1), tgt[:, 1:].flatten()).item()
        read = model._embed_target(tgt)
    assert abs(loss - torch.tensor(float(V)).log().item()) < 0.5
    assert read.std().item() == pytest.approx(1.0, rel=0.1)
