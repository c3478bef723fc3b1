import pytest
import torch

from seqkit.seq2seq import (
    ATTENTIONS,
    AdditiveAttention,
    Attended,
    DotAttention,
    GeneralAttention,
    make_attention,
)

B, S, Q, M, A = 3, 5, 6, 6, 4


def inputs(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """query (B, Q), memory (B, S, M) float64, mask (B, S) with lengths 5, 2, 3."""
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(B, Q, generator=g, dtype=torch.float64)
    memory = torch.randn(B, S, M, generator=g, dtype=torch.float64)
    mask = torch.arange(S) < torch.tensor([5, 2, 3])[:, None]
    return query, memory, mask


def attend(name: str, seed: int = 0) -> tuple[object, Attended, tuple]:
    torch.manual_seed(seed)
    attention = make_attention(name, Q, M, A).double()
    query, memory, mask = inputs(seed)
    return attention, attention(query, attention.keys(memory), memory, mask), (query, memory, mask)


@pytest.mark.parametrize("name", ATTENTIONS)
def test_shapes_weights_and_context(name: str) -> None:
    _, (context, alpha), (_, memory, mask) = attend(name)
    assert context.shape == (B, M) and alpha.shape == (B, S)
    torch.testing.assert_close(alpha.sum(dim=1), torch.ones(B, dtype=torch.float64))
    assert (alpha[~mask] == 0).all() and (alpha[mask] > 0).all()
    expected = sum(alpha[:, t, None] * memory[:, t] for t in range(S))  # c<t> = Σ α<t,t'> a<t'>
    torch.testing.assert_close(context, expected)


def test_scores_are_the_papers_equations() -> None:
    """e<t,t'> from the parameters, written out: vᵀ tanh(W_s s + b + W_a a), s·a, sᵀ W a."""
    query, memory, _ = inputs()
    additive = make_attention("bahdanau", Q, M, A).double()
    w_s, b_s, w_a, v = additive.w_s.weight, additive.w_s.bias, additive.w_a.weight, additive.v
    expected = torch.stack([torch.stack([v @ torch.tanh(w_s @ query[b] + b_s + w_a @ memory[b, t])
                                         for t in range(S)]) for b in range(B)])
    queries = query.unsqueeze(1)  # energies take T queries per sentence: here T = 1
    torch.testing.assert_close(additive.energies(queries, additive.keys(memory)),
                               expected.unsqueeze(1))
    dot = make_attention("dot", Q, M, A)
    torch.testing.assert_close(dot.energies(queries, dot.keys(memory)),
                               torch.einsum("bq,bsq->bs", query, memory).unsqueeze(1))
    general = make_attention("general", Q, M, A).double()
    w = general.w.weight  # (Q, M)
    torch.testing.assert_close(general.energies(queries, general.keys(memory)),
                               torch.einsum("bq,qm,bsm->bs", query, w, memory).unsqueeze(1))


@pytest.mark.parametrize("name", ATTENTIONS)
def test_T_queries_at_once_equal_T_calls_with_gradients(name: str) -> None:
    """Queries (B, T, Q) in one call: each t's context and weights, and every gradient, equal T
    calls with (B, Q) queries (float64)."""
    torch.manual_seed(0)
    attention = make_attention(name, Q, M, A).double()
    _, memory, mask = inputs()
    queries = torch.randn(B, 4, Q, dtype=torch.float64)
    weights = torch.randn(B, 4, M, dtype=torch.float64)
    results = []
    for at_once in (True, False):
        attention.zero_grad()
        q, a = queries.clone().requires_grad_(), memory.clone().requires_grad_()
        if at_once:
            context, alpha = attention(q, attention.keys(a), a, mask)
        else:
            steps = [attention(q[:, t], attention.keys(a), a, mask) for t in range(4)]
            context = torch.stack([step.context for step in steps], dim=1)
            alpha = torch.stack([step.alpha for step in steps], dim=1)
        (context * weights).sum().backward()
        results.append((context, alpha, q.grad, a.grad, [p.grad for p in attention.parameters()]))
    assert results[0][0].shape == (B, 4, M) and results[0][1].shape == (B, 4, S)
    torch.testing.assert_close(results[0], results[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ATTENTIONS)
def test_padding_content_is_ignored(name: str) -> None:
    attention, (context, alpha), (query, memory, mask) = attend(name)
    noisy = memory.masked_fill(~mask[..., None], 1e3)
    again = attention(query, attention.keys(noisy), noisy, mask)
    torch.testing.assert_close(again.context, context)
    torch.testing.assert_close(again.alpha, alpha)


@pytest.mark.parametrize("name", ATTENTIONS)
def test_no_state_between_calls(name: str) -> None:
    """The keys come in with each call: attending to another memory in between changes nothing."""
    attention, first, (query, memory, mask) = attend(name)
    _, other, _ = inputs(seed=1)
    attention(query, attention.keys(other), other, mask)
    again = attention(query, attention.keys(memory), memory, mask)
    torch.testing.assert_close(again.context, first.context)
    assert not list(attention.buffers())


@pytest.mark.parametrize("name", ATTENTIONS)
def test_gradients_flow(name: str) -> None:
    torch.manual_seed(0)
    attention = make_attention(name, Q, M, A).double()
    query, memory, mask = (x.requires_grad_(x.is_floating_point()) for x in inputs())
    context, alpha = attention(query, attention.keys(memory), memory, mask)
    (context.square().sum() + alpha[:, 0].sum()).backward()
    for tensor in (query, memory, *attention.parameters()):
        assert tensor.grad is not None and tensor.grad.abs().sum() > 0
    assert (memory.grad[~mask] == 0).all()  # padding gets no gradient


def test_factory_and_classes() -> None:
    assert isinstance(make_attention("bahdanau", Q, M, A), AdditiveAttention)
    assert isinstance(make_attention("dot", Q, M, A), DotAttention)
    assert isinstance(make_attention("general", 3, M, A), GeneralAttention)
    assert make_attention("general", 3, M, A).keys(torch.zeros(B, S, M)).shape == (B, S, 3)
    assert make_attention("bahdanau", Q, M, A).keys(torch.zeros(B, S, M)).shape == (B, S, A)


def test_errors() -> None:
    with pytest.raises(ValueError, match="unknown attention 'luong'; expected one of bahdanau, "
                                         "dot, general"):
        make_attention("luong", Q, M, A)
    with pytest.raises(ValueError, match="DotAttention: expected query_size equal to memory_size, "
                                         "got 4 and 6"):
        make_attention("dot", 4, M, A)
    attention = make_attention("bahdanau", Q, M, A).double()
    query, memory, mask = inputs()
    keys = attention.keys(memory)
    with pytest.raises(ValueError, match=r"AdditiveAttention: expected query of shape \(3, 6\) "
                                         r"or \(3, T, 6\), got \(3, 5\)"):
        attention(query[:, :5], keys, memory, mask)
    with pytest.raises(ValueError, match=r"got \(3, 2, 2, 6\)"):
        attention(query[:, None, None].expand(3, 2, 2, 6), keys, memory, mask)
    with pytest.raises(ValueError, match=r"expected memory of shape \(B, S, 6\), got \(5, 6\)"):
        attention(query, keys, memory[0], mask)
    with pytest.raises(ValueError, match=r"expected keys of shape \(3, 5, A\), got \(3, 4, 4\)"):
        attention(query, keys[:, :4], memory, mask)
    with pytest.raises(ValueError, match=r"expected a bool mask of shape \(3, 5\), got torch.int"):
        attention(query, keys, memory, mask.long())
