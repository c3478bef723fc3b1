"""Hard debiasing of word vectors (Bolukbasi et al., 2016), the notes' "Debiasing word embeddings".

1. Identify the bias direction g. From definitional pairs (woman, man), (she, he), …: with
   μ = (e_a + e_b)/2 the pair's centre, g is the first principal component of the centred
   vectors e_a − μ and e_b − μ of all pairs (sign: towards the pairs' first words). The notes'
   simple version is g = e_woman − e_man (:func:`difference_direction`). g is unit length.
2. Neutralise every word that is not gender-specific by definition (babysitter, doctor, …):

       e ← e − (eᵀg) g        so that eᵀg = 0

3. Equalise pairs that should differ only by gender (grandmother, grandfather), on unit vectors:

       ν = μ − (μᵀg) g        (μ = (e_a + e_b)/2)
       e_a ← ν + √(1 − ‖ν‖²) · s g,   e_b ← ν − √(1 − ‖ν‖²) · s g,   s = sign((e_a − e_b)ᵀg)

   Both are unit vectors with the same component ν off g, so every neutral word w (wᵀg = 0) has
   e_aᵀw = e_bᵀw = νᵀw: the pair is equidistant from it.

Direct bias (Bolukbasi et al., §5.2) measures what is left: mean over neutral words of |cos(w, g)|.

Word lists (lower case) ship in ``seqkit/embeddings/data``: ``definitional_pairs.txt``,
``equalize_pairs.txt`` (female, male per line) and ``gender_specific.txt``.
"""

from collections.abc import Iterable, Sequence
from importlib import resources

import torch

from seqkit.embeddings.vectors import WordVectors

WORD_LISTS = ("definitional_pairs", "equalize_pairs", "gender_specific")


def word_list(name: str) -> list[tuple[str, ...]]:
    """The lines of a shipped word list (``WORD_LISTS``) as tuples of words, comments skipped."""
    if name not in WORD_LISTS:
        raise ValueError(f"word_list: expected one of {', '.join(WORD_LISTS)}, got {name!r}")
    text = resources.files("seqkit.embeddings").joinpath(f"data/{name}.txt").read_text("utf-8")
    return [tuple(line.split()) for line in text.splitlines() if line and not line.startswith("#")]


def bias_direction(vectors: WordVectors, pairs: Iterable[Sequence[str]]) -> torch.Tensor:
    """g (E,), the first principal component of the centred definitional pairs (step 1).

    Pairs with an unknown word are skipped; at least one known pair is required.
    """
    known = [(a, b) for a, b in pairs if a in vectors and b in vectors]
    if not known:
        raise ValueError("bias_direction: none of the definitional pairs is in the vocabulary")
    e_a = torch.stack([vectors[a] for a, _ in known])  # (P, E)
    e_b = torch.stack([vectors[b] for _, b in known])  # (P, E)
    mu = (e_a + e_b) / 2
    centred = torch.cat([e_a - mu, e_b - mu])  # (2P, E)
    # The centred rows have mean 0 by construction, so the top right-singular vector is the PC.
    g = torch.linalg.svd(centred, full_matrices=False).Vh[0]  # (E,)
    return g if float(((e_a - e_b) @ g).sum()) >= 0 else -g


def difference_direction(vectors: WordVectors, a: str = "woman", b: str = "man") -> torch.Tensor:
    """g = (e_a − e_b) / ‖e_a − e_b‖, shape (E,)."""
    return torch.nn.functional.normalize(vectors[a] - vectors[b], dim=0)


def neutralize(e: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """e − (eᵀg) g for unit g; ``e`` is (E,) or (N, E)."""
    return e - (e @ g)[..., None] * g


def equalize(e_a: torch.Tensor, e_b: torch.Tensor,
             g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The equalised pair (step 3) of unit vectors e_a, e_b (E,) and unit g."""
    nu = neutralize((e_a + e_b) / 2, g)  # (E,) ν
    z = (1 - nu.square().sum()).clamp(min=0).sqrt()
    s = 1.0 if float((e_a - e_b) @ g) >= 0 else -1.0
    return nu + s * z * g, nu - s * z * g


def direct_bias(vectors: WordVectors, neutral: Iterable[str], g: torch.Tensor) -> float:
    """Mean |cos(e_w, g)| over the known ``neutral`` words."""
    ids = [vectors.index[w] for w in neutral if w in vectors]
    if not ids:
        raise ValueError("direct_bias: none of the neutral words is in the vocabulary")
    return float((vectors.unit[ids] @ torch.nn.functional.normalize(g, dim=0)).abs().mean())


def hard_debias(vectors: WordVectors, g: torch.Tensor, gender_specific: Iterable[str],
                equalize_pairs: Iterable[Sequence[str]]) -> WordVectors:
    """New unit-length vectors: all but ``gender_specific`` words neutralised and re-normalised,
    then the known ``equalize_pairs`` equalised. ``vectors`` is left unchanged."""
    g = torch.nn.functional.normalize(g, dim=0)
    specific = {vectors.index[w] for w in gender_specific if w in vectors}
    neutral = torch.tensor([i not in specific for i in range(len(vectors))],
                           device=vectors.unit.device)  # (V,) bool
    e = vectors.unit.clone()  # (V, E)
    e[neutral] = torch.nn.functional.normalize(neutralize(e[neutral], g), dim=1)
    for a, b in equalize_pairs:
        if a in vectors and b in vectors:
            i, j = vectors.index[a], vectors.index[b]
            e[i], e[j] = equalize(e[i], e[j], g)
    return WordVectors(vectors.words, e)
