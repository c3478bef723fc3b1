"""Joey NMT 2.3.0's side of the benchmark, in plain Python (no Joey import, so it is tested in
seqkit's own environment): the Joey config that has a seqkit recipe's sizes, and the token batch
that gives Joey the same number of target tokens per update as seqkit.

What each toolkit's batch budget counts (both cut length-padded batches, neither counts tokens):

* seqkit (``data.max_tokens``, :func:`seqkit.data.token_batches`): examples sorted by length
  max(S, T + 2) (the target with <s> and </s>), cut while B × longest ≤ max_tokens. Batches hold
  sentences of nearly one length, so they are mostly real tokens.
* Joey (``training.batch_size`` with ``batch_type: token``, ``TokenBatchSampler`` in
  ``joeynmt/datasets.py``): examples in random order, no bucketing, each counted as
  max(S + 1, T + 1); a batch is cut once B × longest ≥ batch_size (the example that crosses the
  budget stays in). Random lengths in one batch mean much padding, so the same number holds
  about half the real target tokens.

Both count a batch's target tokens alike: y<1> … y<T> and </s>, T + 1 per sentence (seqkit's
loss tokens, Joey's ``batch.ntokens``). :func:`joey_batch_size` finds the Joey budget whose batches
hold, on average over an epoch, as many target tokens as seqkit's.
"""

from collections.abc import Sequence
from typing import Any

import torch

from seqkit.core.schedules import Exponential, InverseSqrt, schedule
from seqkit.data import token_batches


def seqkit_targets_per_update(src_lengths: Sequence[int], tgt_lengths: Sequence[int],
                              max_tokens: int, seed: int = 0) -> float:
    """Mean target tokens (T + 1 each) per batch of one epoch of seqkit's token batches.

    ``src_lengths``, ``tgt_lengths``: tokens per sentence, without <s> and </s>.
    """
    lengths = [max(s, t + 2) for s, t in zip(src_lengths, tgt_lengths, strict=True)]
    batches = token_batches(lengths, max_tokens, generator=torch.Generator().manual_seed(seed))
    return sum(t + 1 for t in tgt_lengths) / len(batches)


def joey_batches(src_lengths: Sequence[int], tgt_lengths: Sequence[int], batch_size: int,
                 order: Sequence[int]) -> list[list[int]]:
    """Joey's ``TokenBatchSampler`` over the examples in ``order`` (its shuffled indices).

    Worked example, budget 10, lengths (S, T) = (3, 2), (1, 6), (4, 4): the first counts
    max(4, 3) = 4 (4 × 1 < 10, keep going); the second 7, so 7 × 2 = 14 ≥ 10 cuts [0, 1]; the third
    alone, 5 × 1 < 10, ends the epoch as a last, smaller batch [2].
    """
    batches, batch, longest = [], [], 0
    for i in order:
        batch.append(i)
        longest = max(longest, src_lengths[i] + 1, tgt_lengths[i] + 1)
        if longest * len(batch) >= batch_size:
            batches.append(batch)
            batch, longest = [], 0
    return batches + ([batch] if batch else [])


def joey_targets_per_update(src_lengths: Sequence[int], tgt_lengths: Sequence[int],
                            batch_size: int, seed: int = 0) -> float:
    """Mean target tokens (T + 1 each) per batch of one epoch of Joey's token batches."""
    order = torch.randperm(len(src_lengths), generator=torch.Generator().manual_seed(seed))
    batches = joey_batches(src_lengths, tgt_lengths, batch_size, order.tolist())
    return sum(t + 1 for t in tgt_lengths) / len(batches)


def joey_batch_size(src_lengths: Sequence[int], tgt_lengths: Sequence[int], targets: float,
                    seed: int = 0) -> int:
    """The smallest Joey token budget whose batches hold ``targets`` target tokens on average.

    The mean grows with the budget (by steps: one sentence more or less per batch), so a
    bisection over budgets finds where it first reaches ``targets``.
    """
    if targets <= 0:
        raise ValueError(f"joey_batch_size: expected targets > 0, got {targets}")
    low, high = 1, 2
    while joey_targets_per_update(src_lengths, tgt_lengths, high, seed) < targets:
        low, high = high, 2 * high
        if high > 1 << 24:
            raise ValueError(f"joey_batch_size: no budget below 2^24 holds {targets} target "
                             f"tokens per batch (the whole corpus has fewer?)")
    while high - low > 1:  # invariant: low falls short (or is 1), high reaches targets
        middle = (low + high) // 2
        if joey_targets_per_update(src_lengths, tgt_lengths, middle, seed) < targets:
            low = middle
        else:
            high = middle
    return high


def joey_config(recipe: Any, *, model_dir: str, data_prefix: dict[str, str], spm_model: str,
                vocab_file: str, batch_size: int, log_every: int, valid_every: int
                ) -> dict[str, Any]:
    """The Joey NMT 2.3.0 config with the sizes and schedule of the seqkit seq2seq ``recipe``.

    ``data_prefix``: ``{"train": path, "dev": path, "test": path}`` without the language
    suffix (Joey adds ``.{src}``/``.{tgt}``); ``spm_model``, ``vocab_file``: the sentencepiece model
    and token list seqkit uses, so both toolkits see the same subwords and vocabulary.
    ``batch_size``: Joey's token budget (:func:`joey_batch_size`).

    Joey's recurrent decoder makes the attentional vector h̃<t> as wide as its state s<t>, has
    Luong's input feeding, no bias-free tied softmax, and as rates a constant one (no warm-up), a
    ``warmupinversesquareroot`` matching seqkit's ``inverse_sqrt`` with k = √W, or a
    ``warmupexponentialdecay`` matching seqkit's ``exponential`` after the warm-up (Joey decays
    from the warm-up's end: peak α0·base^W, rate base per step); a recipe that needs anything
    else raises ValueError naming the key. Its decoder cell reads [E y<t−1>; h̃<t−1>] and attends
    from the new state s<t>: seqkit's ``model.attend: after`` with input feeding. Note
    (deviations Joey allows no way around): its Bahdanau attention is 2H wide (seqkit's H); no
    dropout right before the output layer; Joey's own initialisation (Xavier).
    """
    model, train, data, decode = recipe.model, recipe.train, recipe.data, recipe.decode
    two_h = 2 * model.hidden_size
    rate = schedule(train.schedule, warmup_steps=train.warmup_steps, **train.schedule_options)
    inverse_sqrt = isinstance(rate, InverseSqrt) and rate.k == train.warmup_steps ** 0.5
    constant = train.schedule == "constant" and train.warmup_steps == 0  # Joey: no scheduling
    base = rate.base if isinstance(rate, Exponential) else None
    scheduling = ("warmupinversesquareroot" if inverse_sqrt
                  else "warmupexponentialdecay" if base is not None else None)
    checks = [
        (model.cell in ("gru", "lstm"), "model.cell", "gru or lstm", model.cell),
        (model.attention in ("bahdanau", "general"), "model.attention", "bahdanau or general",
         model.attention),
        (model.readout == "attentional", "model.readout", "attentional", model.readout),
        (model.attentional_dim == two_h, "model.readout_dim",
         f"2 × hidden_size = {two_h} (Joey's h̃<t> is as wide as s<t>)", model.readout_dim),
        (model.input_feeding, "model.input_feeding", "true (Joey's recurrent decoder feeds h̃)",
         model.input_feeding),
        (model.attend == "after", "model.attend", "after (Joey's decoder attends from s<t>)",
         model.attend),
        (not model.tie_embeddings, "model.tie_embeddings", "false (Joey ties only when h̃ = E)",
         model.tie_embeddings),
        (train.optimizer == "adam", "train.optimizer", "adam", train.optimizer),
        (inverse_sqrt or constant or base is not None, "train.schedule",
         f"constant without warm-up, exponential, or inverse_sqrt with k = √warmup_steps = "
         f"{train.warmup_steps ** 0.5}",
         f"{train.schedule} {train.schedule_options} warm-up {train.warmup_steps}"),
        (decode.length_penalty == "gnmt", "decode.length_penalty", "gnmt (Joey's)",
         decode.length_penalty),
    ]
    for ok, key, expected, got in checks:
        if not ok:
            raise ValueError(f"joey_config: {key}: expected {expected}, got {got!r}")
    p = model.dropout
    side = {"max_length": data.max_length, "min_length": 1, "lowercase": False,
            "normalize": False, "level": "bpe", "voc_file": vocab_file,
            "tokenizer_type": "sentencepiece", "tokenizer_cfg": {"model_file": spm_model}}
    rnn = {"type": "recurrent", "rnn_type": model.cell, "dropout": p, "freeze": False}
    embeddings = {"embedding_dim": model.embedding_dim, "dropout": p}  # Joey's emb_dropout
    return {
        "name": "nmt_vs_joey",
        "joeynmt_version": "2.3.0",
        "model_dir": model_dir,
        "use_cuda": False,
        "fp16": False,
        "random_seed": recipe.seed,
        "data": {**data_prefix, "dataset_type": "plain",
                 "src": {"lang": data.src, **side}, "trg": {"lang": data.tgt, **side}},
        "training": {
            "optimizer": "adam", "adam_betas": [0.9, 0.999], "learning_rate": train.lr,
            "learning_rate_warmup": train.warmup_steps,
            # seqkit's inverse_sqrt: α0·k/√t after warm-up = Joey's peak·√W/√t for k = √W;
            # its exponential: α0·base^t = Joey's peak·decay^((t − W)/length) for length 1;
            # without "scheduling" Joey keeps learning_rate constant
            "scheduling": scheduling,
            "learning_rate_peak": train.lr * (base ** train.warmup_steps if base else 1.0),
            **({"learning_rate_decay": base, "learning_rate_decay_length": 1} if base else {}),
            "learning_rate_min": 1.0e-6,
            "clip_grad_norm": train.clip_norm, "weight_decay": train.weight_decay,
            "label_smoothing": recipe.label_smoothing, "loss": "crossentropy",
            "normalization": "tokens", "batch_size": batch_size, "batch_type": "token",
            "batch_multiplier": 1, "epochs": train.epochs, "logging_freq": log_every,
            "validation_freq": valid_every, "early_stopping_metric": "bleu", "shuffle": True,
            "overwrite": True, "keep_best_ckpts": 1, "print_valid_sents": [],
        },
        "testing": {"n_best": 1, "beam_size": decode.beam, "beam_alpha": decode.alpha,
                    "batch_size": decode.batch_size, "batch_type": "sentence",
                    "eval_metrics": ["bleu"], "sacrebleu_cfg": {"tokenize": "13a"}},
        "model": {
            "tied_embeddings": False, "tied_softmax": False,
            "encoder": {**rnn, "hidden_size": model.hidden_size, "bidirectional": True,
                        "num_layers": model.encoder_layers,
                        "embeddings": embeddings},
            "decoder": {**rnn, "hidden_size": two_h, "num_layers": model.decoder_layers,
                        "hidden_dropout": p, "input_feeding": True, "init_hidden": "bridge",
                        "attention": "bahdanau" if model.attention == "bahdanau" else "luong",
                        # relu fails in Joey 2.3.0 on torch 2.13; tanh is Luong's h̃
                        "activation": "tanh", "embeddings": embeddings},
        },
    }
