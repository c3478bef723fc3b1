"""The language-model task: one text a line in, an RNN language model out (notes: "Language
Modelling", "Character-level language model", "Sampling novel sequences").

Recipe sections: ``data`` (:class:`LanguageModelData`), ``model``
(:class:`~seqkit.lm.LanguageModelConfig`), ``sample`` (:class:`SampleConfig`, the defaults of
``seqkit sample``), plus the common ``task``, ``seed``, ``train`` and the top-level
``clip_value``. Training is teacher-forced (input <s> y<1> … y<T_y>, target y<1> … y<T_y> </s>);
validation and ``evaluate`` report the perplexity of a held-out split, exp of the mean token
cross-entropy with </s> included (:class:`~seqkit.lm.Perplexity`).

Gradient clipping: by norm with the trainer's ``train.clip_norm``; by value with ``clip_value``
θ, every gradient entry clamped to [−θ, θ] before the step (and before any norm clipping).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn

from seqkit.config import require
from seqkit.data import (
    DataError,
    Vocabulary,
    prepare,
    read_lines,
    token_batches,
    tokenizer_from_state,
    train_tokenizer,
)
from seqkit.lm import (
    KneserNey,
    LanguageModelBatch,
    LanguageModelConfig,
    Perplexity,
    RNNLanguageModel,
    language_model_batch,
    language_model_loss,
    perplexity,
    sample,
)
from seqkit.status import status
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.language_model.verbs import EVALUATE_OPTIONS, VERBS


@dataclass
class LanguageModelData:
    """The recipe's ``data:`` section: ``{train,valid,test}.txt``, one text a line."""

    dir: str = "data"  # folder with {train,valid,test}.txt (a name, a paragraph, … a line)
    prepare: str | None = None  # names | austen: writes the splits when missing
    tokenizer: Literal["char", "word"] = "char"  # tokens are characters, or space-separated words
    min_freq: int = 1  # training tokens seen fewer times map to <unk>
    max_vocab: int | None = None  # keep the most frequent tokens only (None: all)
    max_tokens: int = 4096  # batch budget: texts × longest padded length (T_y + 1)
    max_length: int = 200  # training texts longer than this many tokens are left out

    def __post_init__(self) -> None:
        for key in ("min_freq", "max_tokens", "max_length"):
            require(getattr(self, key) >= 1, f"data.{key}", "≥ 1", getattr(self, key))
        require(self.max_vocab is None or self.max_vocab >= 1, "data.max_vocab", "≥ 1 or null",
                self.max_vocab)

    def path(self, split: str) -> Path:
        return Path(self.dir) / f"{split}.txt"


@dataclass
class SampleConfig:
    """The recipe's ``sample:`` section: what ``seqkit sample`` does unless told otherwise."""

    temperature: float = 1.0  # τ: softmax(z/τ); 0 is greedy
    top_k: int | None = None  # draw among the k most likely tokens only (None: all V)
    max_new_tokens: int = 100  # a sample stops here if it has not drawn </s>
    n: int = 10  # samples drawn without a prompt

    def __post_init__(self) -> None:
        require(self.temperature >= 0, "sample.temperature", "≥ 0", self.temperature)
        require(self.top_k is None or self.top_k >= 1, "sample.top_k", "≥ 1 or null", self.top_k)
        require(self.max_new_tokens >= 1, "sample.max_new_tokens", "≥ 1", self.max_new_tokens)
        require(self.n >= 1, "sample.n", "≥ 1", self.n)


@dataclass
class LanguageModelRecipe(Recipe):
    task: str = "language_model"
    clip_value: float | None = None  # θ: clamp every gradient entry to [−θ, θ] (None: don't)
    data: LanguageModelData = field(default_factory=LanguageModelData)
    model: LanguageModelConfig = field(default_factory=LanguageModelConfig)
    sample: SampleConfig = field(default_factory=SampleConfig)

    def __post_init__(self) -> None:
        require(self.clip_value is None or self.clip_value > 0, "clip_value", "> 0 or null",
                self.clip_value)
        require(self.clip_value is None or self.train.precision != "fp16", "train.precision",
                "fp32 or bf16 with clip_value (fp16's scaled gradients cannot be clamped)",
                self.train.precision)


class LanguageModelTask:
    """Builds the tokenizer, vocabulary and model from a recipe; trains, scores and samples."""

    name = "language_model"
    Recipe = LanguageModelRecipe
    metrics: ClassVar = {"perplexity": False, "loss": False}
    resumable: ClassVar = ("sample.",)
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: LanguageModelRecipe, tokenizer: Any, vocab: Vocabulary) -> None:
        self.recipe, self.tokenizer, self.vocab = recipe, tokenizer, vocab
        self.model = RNNLanguageModel(recipe.model, len(vocab))
        if recipe.clip_value is not None:
            self.update = self._update_clipped_by_value  # the trainer calls it for each batch

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    @classmethod
    def build(cls, recipe: LanguageModelRecipe) -> "LanguageModelTask":
        """Prepare the data if the recipe names a preparer, check the valid split, then fit the
        vocabulary on the training split."""
        data = recipe.data
        if data.prepare:
            prepare(data.prepare, data, recipe.seed)
        lines = [line for line in read_lines(data.path("train")) if line.strip()]
        if not lines:
            raise DataError(f"{data.path('train')}: no training text (empty file)")
        tokenizer = train_tokenizer(data.tokenizer, lines)
        status(f"language_model: {data.tokenizer} vocabulary of {len(lines):,} training texts")
        vocab = Vocabulary.build((tokenizer.tokenize(line) for line in lines),
                                 min_freq=data.min_freq, max_size=data.max_vocab)
        task = cls(recipe, tokenizer, vocab)
        _ = task.train_examples, task.held_out("valid")  # read both splits now: fail early
        return task

    @classmethod
    def restore(cls, recipe: LanguageModelRecipe, state: dict[str, Any]) -> "LanguageModelTask":
        return cls(recipe, tokenizer_from_state(state["tokenizer"]),
                   Vocabulary.from_state(state["vocab"]))

    def state(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_state(), "vocab": self.vocab.to_state()}

    # --- data ----------------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        """The ids of ``text``'s tokens, without <s> or </s> (unknown tokens as <unk>)."""
        return self.vocab.encode(self.tokenizer.tokenize(text))

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.detokenize(self.vocab.decode(list(ids)))

    @cached_property
    def train_examples(self) -> list[list[int]]:
        data = self.recipe.data
        encoded = [self.encode(line) for line in read_lines(data.path("train")) if line.strip()]
        kept = [ids for ids in encoded if len(ids) <= data.max_length]
        if not kept:
            raise DataError(f"{data.path('train')}: no training text of at most "
                            f"data.max_length={data.max_length} tokens")
        if len(kept) < len(encoded):
            status(f"language_model: left out {len(encoded) - len(kept):,} of {len(encoded):,} "
                   f"training texts longer than data.max_length={data.max_length} tokens")
        return kept

    def held_out(self, split: str) -> list[list[int]]:
        """The encoded texts of a held-out split (blank lines left out), every one scored."""
        path = self.recipe.data.path(split)
        examples = [self.encode(line) for line in read_lines(path) if line.strip()]
        if not examples:
            raise DataError(f"{path}: the {split} split has no text")
        return examples

    def batches(self, epoch: int) -> list[LanguageModelBatch]:
        """Length-bucketed batches of training texts; their order is a function of (seed, epoch).

        Note: padded here, not by a BatchLoader: a DataLoader's iterator draws its seed from
        torch's global generator, so an epoch resumed mid-way would draw different dropout masks
        than one run straight through. Padding is cheap next to the model.
        """
        examples = self.train_examples
        entropy = np.random.SeedSequence([self.recipe.seed, epoch]).generate_state(1, np.uint64)
        generator = torch.Generator().manual_seed(int(entropy[0]))
        order = token_batches([len(ids) + 1 for ids in examples], self.recipe.data.max_tokens,
                              shuffle=True, generator=generator)
        return [language_model_batch([examples[i] for i in batch]) for batch in order]

    def held_out_batches(self, examples: list[list[int]]) -> list[LanguageModelBatch]:
        order = token_batches([len(ids) + 1 for ids in examples], self.recipe.data.max_tokens,
                              shuffle=False)
        return [language_model_batch([examples[i] for i in batch]) for batch in order]

    # --- training ------------------------------------------------------------------------------
    def loss(self, model: nn.Module, batch: LanguageModelBatch) -> tuple[torch.Tensor, int]:
        """J = −1/N Σ log P(y<t> | y<1..t−1>) over the N real targets, </s> included."""
        loss, n_tokens = language_model_loss(model, batch)
        return loss, n_tokens

    def _update_clipped_by_value(self, parts: dict[str, nn.Module], batch: LanguageModelBatch,
                                 optimize: Any) -> tuple[float, int]:
        """One update on one batch with every gradient entry clamped to [−θ, θ], θ =
        ``clip_value``: a hook clamps each parameter's gradient as backward completes it, before
        the trainer's norm clipping and step."""
        model = parts["model"]
        loss, n_tokens = self.loss(model, batch)
        theta = self.recipe.clip_value

        def clamp(q: torch.Tensor) -> None:
            q.grad.clamp_(-theta, theta)

        handles = [p.register_post_accumulate_grad_hook(clamp) for p in model.parameters()
                   if p.requires_grad]
        try:
            optimize("model", loss)
        finally:
            for handle in handles:
                handle.remove()
        return loss.item(), n_tokens

    def validate(self, model: nn.Module) -> dict[str, float]:
        score = perplexity(model, self.held_out_batches(self.held_out("valid")))
        return {"perplexity": score.value, "loss": score.cross_entropy}

    # --- evaluation and sampling ---------------------------------------------------------------
    def evaluate(self, split: str = "test", ngram_baseline: int | None = None) -> Report:
        """The perplexity of a held-out split; with ``ngram_baseline`` n, also an interpolated
        Kneser–Ney n-gram model's, fitted on the training texts over the same vocabulary."""
        examples = self.held_out(split)
        score = perplexity(self.model, self.held_out_batches(examples))
        unknown = sum(i == Vocabulary.UNK for ids in examples for i in ids)
        title = (f"{split} ({len(examples):,} texts, {self.recipe.data.tokenizer} tokens, "
                 f"V={len(self.vocab):,}, {unknown:,} unknown tokens)")
        metrics = {"perplexity": score.value, "cross_entropy": score.cross_entropy,
                   "n_tokens": float(score.n_tokens)}
        lines = [str(score)]
        if ngram_baseline is not None:
            baseline = self.ngram_perplexity(examples, ngram_baseline)
            lines.append(str(baseline))
            metrics[f"kneser_ney_{ngram_baseline}_perplexity"] = baseline.value
        settings = {"split": split, "texts": len(examples), "tokenizer": self.recipe.data.tokenizer,
                    "vocab_size": len(self.vocab), "ngram_baseline": ngram_baseline}
        return Report(title, metrics, lines, settings)

    def ngram_perplexity(self, examples: list[list[int]], order: int) -> Perplexity:
        """An interpolated Kneser–Ney model of ``order`` fitted on the training texts (all of
        them, however long) and scored on ``examples``, over this model's vocabulary."""
        data = self.recipe.data
        train = [self.encode(line) for line in read_lines(data.path("train")) if line.strip()]
        return KneserNey(order=order).fit(train, len(self.vocab)).perplexity(examples)

    def sample(self, prompts: Sequence[str] | None = None, n: int | None = None,
               temperature: float | None = None, top_k: int | None = None,
               max_new_tokens: int | None = None, seed: int | None = None) -> list[str]:
        """Texts drawn from the model: continuations of ``prompts``, or ``n`` from scratch
        (unset settings keep the recipe's ``sample`` section). The same ``seed`` gives the same
        texts on the same device."""
        config = self.recipe.sample
        device = self.model.readout.weight.device
        generator = torch.Generator(device=device)
        if seed is None:
            generator.seed()  # a fresh draw each call
        else:
            generator.manual_seed(seed)
        drawn = sample(
            self.model, None if prompts is None else [self.encode(p) for p in prompts],
            n=n or config.n, max_new_tokens=max_new_tokens or config.max_new_tokens,
            temperature=config.temperature if temperature is None else temperature,
            top_k=top_k or config.top_k, generator=generator)
        return [self.decode(ids) for ids in drawn.sequences]
