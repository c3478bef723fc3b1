"""Attention over the encoder's outputs (notes: "Attention Model intuition"; Bahdanau et al.
2015; Luong et al. 2015): the decoder state s<t−1> scores every source position t', the scores
become weights, and the weights average the encoder's activations into the context c<t>:

    e<t,t'> = score(s<t−1>, a<t'>)
    α<t,t'> = exp(e<t,t'>) / Σ_t'' exp(e<t,t''>)     (softmax over t'; padding gets α = 0)
    c<t>    = Σ_t' α<t,t'> a<t'>

Scores: ``bahdanau`` e = vᵀ tanh(W_s s<t−1> + W_a a<t'>) (Bahdanau et al., Eq. 6 and A.1.2; the
notes' "small NN to obtain e<t,t'>"), ``dot`` e = s<t−1>ᵀ a<t'> and ``general``
e = s<t−1>ᵀ W a<t'> (Luong et al., Eq. 8, "dot" and "general").

The part of each score that depends on a<t'> only (W_a a<t'>, W a<t'>, a<t'>) is the same at every
decoder step, so :meth:`Attention.keys` computes it once per sentence; the caller keeps the keys
(``Encoded.keys`` in :mod:`seqkit.seq2seq.model`) and passes them to every call. No module keeps
state between calls.

One call scores one query per sentence (B, Q), or T of them at once (B, T, Q): a decoder that
attends after its cell step (``model.attend: after``) knows every s<t> of teacher forcing before
it attends, so all T contexts are a few batched products.

Shapes (docs/notation.md): B batch, T queries per sentence, S source length, Q size of the query
s<t−1>, M size of the memory a<t'>, A size of a key.
"""

import math
from abc import ABC, abstractmethod
from typing import NamedTuple

import torch
from torch import Tensor, nn

from seqkit.core.layers import Dense


class Attended(NamedTuple):
    context: Tensor  # c<t> (B, M)
    alpha: Tensor  # α<t,t'> (B, S), each row sums to 1, 0 on padding


class Attention(nn.Module, ABC):
    """Masked softmax of a score, then the weighted average of the memory.

    Subclasses define the score: :meth:`keys` (the query-independent part, once per sentence) and
    :meth:`energies` (e<t,t'> from a query and the keys).

    Inputs: query s<t−1> (B, Q) or T queries (B, T, Q), keys (B, S, A) from :meth:`keys`,
    memory a (B, S, M), mask (B, S) bool, True at real source positions (at least one per row).
    Outputs: :class:`Attended` (context (B, M), alpha (B, S)), or (B, T, M) and (B, T, S).
    """

    def __init__(self, query_size: int, memory_size: int) -> None:
        super().__init__()
        self.query_size, self.memory_size = query_size, memory_size

    @abstractmethod
    def keys(self, memory: Tensor) -> Tensor:
        """The query-independent part of the score: memory (B, S, M) → keys (B, S, A)."""

    @abstractmethod
    def energies(self, query: Tensor, keys: Tensor) -> Tensor:
        """e<t,t'>: queries (B, T, Q), keys (B, S, A) → (B, T, S)."""

    def forward(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> Attended:
        self._check(query, keys, memory, mask)
        queries = query if query.dim() == 3 else query.unsqueeze(1)  # (B, T, Q)
        e = self.energies(queries, keys).masked_fill(~mask.unsqueeze(1), float("-inf"))
        alpha = torch.softmax(e, dim=2)  # (B, T, S); exp(−inf) = 0: padding gets exactly 0
        context = torch.bmm(alpha, memory)  # (B, T, S)(B, S, M) → (B, T, M)
        if query.dim() == 2:
            return Attended(context.squeeze(1), alpha.squeeze(1))
        return Attended(context, alpha)

    def _check(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> None:
        name = type(self).__name__
        if memory.dim() != 3 or memory.shape[2] != self.memory_size:
            raise ValueError(
                f"{name}: expected memory of shape (B, S, {self.memory_size}), "
                f"got {tuple(memory.shape)}"
            )
        B, S, _ = memory.shape
        if query.dim() not in (2, 3) or (query.shape[0], query.shape[-1]) != (B, self.query_size):
            raise ValueError(
                f"{name}: expected query of shape ({B}, {self.query_size}) or "
                f"({B}, T, {self.query_size}), got {tuple(query.shape)}"
            )
        if keys.dim() != 3 or tuple(keys.shape[:2]) != (B, S):
            raise ValueError(
                f"{name}: expected keys of shape ({B}, {S}, A), got {tuple(keys.shape)}"
            )
        if mask.dtype != torch.bool or tuple(mask.shape) != (B, S):
            raise ValueError(
                f"{name}: expected a bool mask of shape ({B}, {S}), "
                f"got {mask.dtype} {tuple(mask.shape)}"
            )

    def extra_repr(self) -> str:
        return f"query_size={self.query_size}, memory_size={self.memory_size}"


class AdditiveAttention(Attention):
    """Bahdanau's score: e<t,t'> = vᵀ tanh(W_s s<t−1> + W_a a<t'>) (Bahdanau et al., Eq. 6, A.1.2).

    Keys: W_a a<t'> (B, S, A). Parameters: ``w_s`` W_s (A, Q) with a bias, ``w_a`` W_a (A, M),
    ``v`` (A,). Note: the bias (absent in the paper) is shared by all t', so it shifts
    W_s s<t−1> only; it lets tanh work off-centre.
    """

    def __init__(self, query_size: int, memory_size: int, attention_size: int) -> None:
        super().__init__(query_size, memory_size)
        self.w_s = Dense(query_size, attention_size)
        self.w_a = Dense(memory_size, attention_size, bias=False)
        limit = 1 / math.sqrt(attention_size)
        self.v = nn.Parameter(torch.empty(attention_size).uniform_(-limit, limit))

    def keys(self, memory: Tensor) -> Tensor:
        return self.w_a(memory)  # (B, S, A)

    def energies(self, query: Tensor, keys: Tensor) -> Tensor:
        q = self.w_s(query).unsqueeze(2)  # (B, T, 1, A)
        return torch.tanh(q + keys.unsqueeze(1)) @ self.v  # (B, T, S, A)(A,) → (B, T, S)


class _DotProductScore(Attention):
    """Scores that are a dot product of the query with the keys: e<t,t'> = s<t−1>ᵀ key<t'>."""

    def energies(self, query: Tensor, keys: Tensor) -> Tensor:
        return torch.bmm(query, keys.transpose(1, 2))  # (B, T, Q)(B, Q, S) → (B, T, S)


class DotAttention(_DotProductScore):
    """Luong's dot score: e<t,t'> = s<t−1>ᵀ a<t'> (Luong et al., Eq. 8, dot); needs Q = M.

    Keys: the memory itself (B, S, M). No parameters.
    """

    def __init__(self, query_size: int, memory_size: int, attention_size: int | None = None):
        if query_size != memory_size:
            raise ValueError(
                "DotAttention: expected query_size equal to memory_size, "
                f"got {query_size} and {memory_size}"
            )
        super().__init__(query_size, memory_size)

    def keys(self, memory: Tensor) -> Tensor:
        return memory


class GeneralAttention(_DotProductScore):
    """Luong's general score: e<t,t'> = s<t−1>ᵀ W a<t'> (Luong et al., Eq. 8, general).

    Keys: W a<t'> (B, S, Q), so that the score is a dot product with the query.
    Parameters: ``w`` W (Q, M).
    """

    def __init__(self, query_size: int, memory_size: int, attention_size: int | None = None):
        super().__init__(query_size, memory_size)
        self.w = Dense(memory_size, query_size, bias=False)

    def keys(self, memory: Tensor) -> Tensor:
        return self.w(memory)  # (B, S, Q)


ATTENTIONS: dict[str, type[Attention]] = {
    "bahdanau": AdditiveAttention,
    "dot": DotAttention,
    "general": GeneralAttention,
}


def make_attention(name: str, query_size: int, memory_size: int, attention_size: int) -> Attention:
    """The attention called ``name`` (a key of :data:`ATTENTIONS`); ``attention_size`` is A of the
    additive score, unused by the others."""
    if name not in ATTENTIONS:
        raise ValueError(
            f"make_attention: unknown attention {name!r}; expected one of {', '.join(ATTENTIONS)}"
        )
    return ATTENTIONS[name](query_size, memory_size, attention_size)
