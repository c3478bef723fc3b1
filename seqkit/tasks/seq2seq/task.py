"""The seq2seq task: line-aligned parallel text in, an attention encoder–decoder out.

Recipe sections: ``data`` (:class:`TextDataConfig`), ``model`` (:class:`Seq2SeqConfig`),
``decode`` (:class:`DecodeConfig`), plus the common ``task``, ``seed`` and ``train``.
Validation decodes the ``valid`` split greedily and reports exact match, BLEU and the loss;
``evaluate`` decodes a held-out split with the recipe's (or the caller's) search settings.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch
from torch import nn

from seqkit.config import require
from seqkit.core.losses import sequence_cross_entropy
from seqkit.data import (
    BatchLoader,
    DataError,
    Vocabulary,
    pad,
    prepare,
    read_parallel,
    token_batches,
    tokenizer_from_state,
)
from seqkit.metrics.bleu import BLEU, BLEUScore
from seqkit.seq2seq import (
    DecodeConfig,
    ErrorAnalysis,
    Hypothesis,
    Seq2Seq,
    Seq2SeqConfig,
    beam_search,
    error_analysis,
    plot_attention,
)
from seqkit.status import status
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.seq2seq.data import (
    Batch,
    Example,
    TextDataConfig,
    check_held_out,
    collate,
    encode_pairs,
    extra_references,
    fit_tokenizers,
    held_out_pairs,
)
from seqkit.tasks.seq2seq.verbs import EVALUATE_OPTIONS, VERBS


@dataclass
class Seq2SeqRecipe(Recipe):
    task: str = "seq2seq"
    label_smoothing: float = 0.0  # ε of the cross-entropy's smoothed targets
    data: TextDataConfig = field(default_factory=TextDataConfig)
    model: Seq2SeqConfig = field(default_factory=Seq2SeqConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)

    def __post_init__(self) -> None:
        require(0 <= self.label_smoothing < 1, "label_smoothing", "0 ≤ ε < 1",
                self.label_smoothing)


class Evaluation(NamedTuple):
    bleu: BLEUScore
    exact_match: float  # fraction of outputs equal to their reference
    sources: list[str]
    hypotheses: list[str]  # the best output of each source, detokenized
    references: list[str]  # data.tgt's line of each source
    outputs: list[list[int]]  # the best output's token ids ŷ (no specials)
    all_refs_bleu: BLEUScore | None  # against data.tgt and data.extra_refs; None without extras
    seconds: float  # wall-clock time of the search


class Seq2SeqTask:
    """Builds tokenizers, vocabularies and the model from a recipe; trains and translates."""

    name = "seq2seq"
    Recipe = Seq2SeqRecipe
    metrics: ClassVar = {"bleu": True, "exact_match": True, "loss": False}
    resumable: ClassVar = ("decode.", "data.workers")
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: Seq2SeqRecipe, tokenizers: dict[str, Any],
                 vocabs: dict[str, Vocabulary]) -> None:
        self.recipe, self.tokenizers, self.vocabs = recipe, tokenizers, vocabs
        self.model = Seq2Seq(recipe.model, len(vocabs["src"]), len(vocabs["tgt"]),
                             pad_id=Vocabulary.PAD, bos_id=Vocabulary.BOS, eos_id=Vocabulary.EOS)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    @classmethod
    def build(cls, recipe: Seq2SeqRecipe) -> "Seq2SeqTask":
        """Prepare the data if the recipe names a generator, check the valid split, then fit
        tokenizers and vocabularies on the training split."""
        data = recipe.data
        if data.prepare:
            prepare(data.prepare, data, recipe.seed)
        pairs = read_parallel(data.path("train", "src"), data.path("train", "tgt"))
        check_held_out(data, "valid")
        pairs = [(x, y) for x, y in pairs if x.strip() and y.strip()]
        if not pairs:
            raise DataError(f"{data.path('train', 'src')}: no training pairs (empty file)")
        joint = " (one joint vocabulary)" if data.joint_vocab else ""
        status(f"seq2seq: fitting {data.tokenizer} tokenizers on {len(pairs):,} training "
               f"pairs{joint}")
        task = cls(recipe, *fit_tokenizers(data, pairs))
        task.train_examples, task.valid_examples  # noqa: B018 (tokenise both splits now)
        return task

    @classmethod
    def restore(cls, recipe: Seq2SeqRecipe, state: dict[str, Any]) -> "Seq2SeqTask":
        sides = ("src", "tgt")
        return cls(recipe, {s: tokenizer_from_state(state["tokenizers"][s]) for s in sides},
                   {s: Vocabulary.from_state(state["vocabs"][s]) for s in sides})

    def state(self) -> dict[str, Any]:
        return {"tokenizers": {s: t.to_state() for s, t in self.tokenizers.items()},
                "vocabs": {s: v.to_state() for s, v in self.vocabs.items()}}

    # --- training ---------------------------------------------------------------------------
    def encode_source(self, line: str) -> list[int]:
        return self.vocabs["src"].encode(self.tokenizers["src"].tokenize(line))

    def _examples(self, split: str) -> list[Example]:
        data = self.recipe.data
        pairs = (read_parallel(data.path(split, "src"), data.path(split, "tgt"))
                 if split == "train" else held_out_pairs(data, split)[0])
        examples = encode_pairs(data, split, pairs, self.tokenizers, self.vocabs)
        if split != "train":
            return examples
        kept = [e for e in examples if e.src and len(e.tgt) > 2
                and max(len(e.src), len(e.tgt) - 2) <= data.max_length]
        if not kept:
            raise DataError(f"{data.path(split, 'src')}: no training pair of 1 to "
                            f"data.max_length={data.max_length} tokens on both sides")
        if len(kept) < len(examples):
            status(f"seq2seq: left out {len(examples) - len(kept):,} of {len(examples):,} "
                   f"training pairs (an empty side, or longer than data.max_length="
                   f"{data.max_length} tokens)")
        return kept

    @cached_property
    def train_examples(self) -> list[Example]:
        return self._examples("train")

    @cached_property
    def valid_examples(self) -> list[Example]:
        return self._examples("valid")

    def batches(self, epoch: int) -> BatchLoader:
        """Length-bucketed batches of training pairs, padded by a DataLoader; their order is a
        function of (seed, epoch): ``seed`` and ``epoch`` seed one generator together."""
        examples = self.train_examples
        entropy = np.random.SeedSequence([self.recipe.seed, epoch]).generate_state(1, np.uint64)
        generator = torch.Generator().manual_seed(int(entropy[0]))
        lengths = [max(len(e.src), len(e.tgt)) for e in examples]
        order = token_batches(lengths, self.recipe.data.max_tokens, shuffle=True,
                              generator=generator)
        return BatchLoader(examples, order, collate, workers=self.recipe.data.workers)

    def loss(self, model: nn.Module, batch: Batch) -> tuple[torch.Tensor, int]:
        """Teacher-forced cross-entropy per target token.

        The decoder reads <s> y<1> … y<T> and predicts y<1> … y<T> </s>.
        """
        logits = model(batch.src, batch.src_lengths, batch.tgt[:, :-1])  # (B, T, V)
        loss, tokens = sequence_cross_entropy(logits, batch.tgt[:, 1:], pad_id=Vocabulary.PAD,
                                              smoothing=self.recipe.label_smoothing)
        return loss, tokens

    def validate(self, model: nn.Module) -> dict[str, float]:
        examples = self.valid_examples
        device = next(model.parameters()).device
        total, tokens = 0.0, 0
        size = self.recipe.decode.batch_size
        for start in range(0, len(examples), size):
            batch = collate(examples[start:start + size])
            loss, n = self.loss(model, Batch(*(t.to(device) for t in batch)))
            total, tokens = total + loss.item() * n, tokens + n
        result = self.translate_split("valid", all_refs=False, beam=1, n_best=1)
        return {"bleu": result.bleu.score, "exact_match": result.exact_match,
                "loss": total / max(tokens, 1)}

    # --- inference ----------------------------------------------------------------------------
    def decode_config(self, **overrides: Any) -> DecodeConfig:
        """The recipe's ``decode`` section with the given non-None fields replaced."""
        return replace(self.recipe.decode, **{k: v for k, v in overrides.items() if v is not None})

    def search(self, lines: Sequence[str], **overrides: Any) -> list[list[Hypothesis]]:
        """n-best hypotheses for each line (an empty line gets none), batched by length."""
        if isinstance(lines, str):
            raise TypeError("Seq2SeqTask: expected a sequence of lines, got one str; "
                            "wrap it in a list")
        config = self.decode_config(**overrides)
        sources = [self.encode_source(line) for line in lines]
        results: list[list[Hypothesis]] = [[] for _ in lines]
        order = sorted((i for i, s in enumerate(sources) if s), key=lambda i: len(sources[i]))
        device = next(self.model.parameters()).device
        self.model.eval()
        with torch.no_grad():
            for start in range(0, len(order), config.batch_size):
                chunk = order[start:start + config.batch_size]
                src, src_lengths = pad([sources[i] for i in chunk], Vocabulary.PAD)
                for i, nbest in zip(chunk, beam_search(self.model, src.to(device),
                                                       src_lengths.to(device), config),
                                    strict=True):
                    results[i] = nbest
        return results

    def unusual_inputs(self, lines: Sequence[str]) -> tuple[int, int]:
        """(lines longer than training's data.max_length, non-empty lines whose tokens are all
        unknown): inputs whose translation deserves a warning."""
        limit = self.recipe.data.max_length
        sources = [self.encode_source(line) for line in lines]
        too_long = sum(len(s) > limit for s in sources)
        unknown = sum(bool(s) and all(t == Vocabulary.UNK for t in s) for s in sources)
        return too_long, unknown

    def detokenize(self, ids: Sequence[int]) -> str:
        return self.tokenizers["tgt"].detokenize(self.vocabs["tgt"].decode(list(ids)))

    def translate(self, lines: Sequence[str], **overrides: Any) -> list[str]:
        """The best translation of each line; ``overrides`` replace decode settings (beam=5…)."""
        return [self.detokenize(nbest[0].tokens) if nbest else ""
                for nbest in self.search(lines, **overrides)]

    def translate_split(self, split: str = "test", all_refs: bool = True,
                        **overrides: Any) -> Evaluation:
        """Translate a held-out split and score it against its references (data.tgt's, and with
        ``all_refs`` those of data.extra_refs too)."""
        data = self.recipe.data
        pairs, numbers = held_out_pairs(data, split)
        sources, references = [x for x, _ in pairs], [y for _, y in pairs]
        extras = extra_references(data, split, numbers) if all_refs else []
        started = time.monotonic()
        outputs = [nbest[0].tokens if nbest else [] for nbest in self.search(sources, **overrides)]
        seconds = time.monotonic() - started
        hypotheses = [self.detokenize(tokens) for tokens in outputs]
        exact = sum(h == r for h, r in zip(hypotheses, references, strict=True))
        bleu = BLEU().corpus_score(hypotheses, [references])
        all_refs = BLEU().corpus_score(hypotheses, [references, *extras]) if extras else None
        return Evaluation(bleu, exact / max(len(references), 1), sources, hypotheses, references,
                          outputs, all_refs, seconds)

    def evaluate(self, split: str = "test", error_analysis: bool = False,
                 **overrides: Any) -> Report:
        """BLEU (with its signature) and exact match of a held-out split, decoded with the
        recipe's search settings or ``overrides``; with ``error_analysis``, who is to blame."""
        config = self.decode_config(**overrides)
        result = self.translate_split(split, **overrides)
        n = len(result.references)
        matches = round(result.exact_match * n)
        suffixes = [self.recipe.data.tgt, *self.recipe.data.extra_refs]
        lines = [result.bleu.format() + (f" (reference: {suffixes[0]})" if len(suffixes) > 1
                                         else "")]
        metrics = {"bleu": result.bleu.score, "exact_match": result.exact_match}
        if result.all_refs_bleu is not None:
            lines.append(f"{result.all_refs_bleu.format()} (references: {' + '.join(suffixes)})")
            metrics["bleu_all_refs"] = result.all_refs_bleu.score
        lines.append(f"exact match = {100 * result.exact_match:.2f}% ({matches}/{n})")
        lines.append(f"decoded {n} sentences in {result.seconds:.1f} s "
                     f"({n / max(result.seconds, 1e-9):.1f} sentences/s, batch "
                     f"{config.batch_size})")
        if error_analysis:
            lines.append(self.error_analysis(result, **overrides).format())
        settings = {"split": split, "beam": config.beam, "alpha": config.alpha,
                    "length_penalty": config.length_penalty, "fixed_width": config.fixed_width,
                    "references": suffixes, "sentences": n}
        width = " fixed_width" if config.fixed_width else ""
        return Report(f"{split}: beam={config.beam}{width} alpha={config.alpha} "
                      f"length_penalty={config.length_penalty} ({n} sentences)",
                      metrics, lines, settings)

    def error_analysis(self, evaluation: Evaluation, **overrides: Any) -> ErrorAnalysis:
        """The notes' beam-search error analysis over an evaluation's wrong outputs: compare
        P(y*|x) with P(ŷ|x) to blame the search or the model."""
        kept = [i for i, x in enumerate(evaluation.sources) if self.encode_source(x)]
        tgt_vocab, tgt_tokenizer = self.vocabs["tgt"], self.tokenizers["tgt"]
        return error_analysis(
            self.model,
            [self.encode_source(evaluation.sources[i]) for i in kept],
            [tgt_vocab.encode(tgt_tokenizer.tokenize(evaluation.references[i])) for i in kept],
            [evaluation.outputs[i] for i in kept],
            self.decode_config(**overrides))

    def plot_attention(self, lines: Sequence[str], results: Sequence[Sequence[Hypothesis]],
                       folder: Path, first: int = 1) -> int:
        """Write the best hypothesis' α<t,t'> of each non-empty line to ``folder/{line}.png``
        (lines numbered from ``first``); returns how many maps were written."""
        folder.mkdir(parents=True, exist_ok=True)
        width = len(str(first + len(lines) - 1))
        written = 0
        for number, (line, nbest) in enumerate(zip(lines, results, strict=True), start=first):
            if nbest:
                best = nbest[0]
                tokens = self.vocabs["tgt"].decode(best.tokens, strip_specials=False)
                plot_attention(best.attention, self.tokenizers["src"].tokenize(line),
                               [*tokens, "</s>"], folder / f"{number:0{width}d}.png")
                written += 1
        return written
