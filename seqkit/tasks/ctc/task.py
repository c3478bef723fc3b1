"""The CTC task: character-level speech recognition of spoken digit strings.

Recipe sections: ``data`` (:class:`~.data.DigitsDataConfig`), ``features``
(``seqkit.speech.FeatureConfig``: log-mels, 25 ms windows every 10 ms, 40 bands) and ``model``
(:class:`~.model.CTCModelConfig`), plus ``task``, ``seed`` and ``train``. Each utterance's
log-mels are normalised per band over the utterance (so the recording level does not matter),
and padded into (B, T, F) batches by DataLoader workers. In training (:class:`Augmentation`) an
utterance may be played at another speed (``data.speed``), its mel axis warped (``data.vtlp``,
vocal-tract-length perturbation) and its log-mels masked (``data.spec_augment``): other speakers
than the synthesiser's, for a model that must hear flite's voices having heard only espeak-ng's.
The loss is −log p(l|x) summed over the batch and divided by its characters (the CTC loss of
Graves et al. 2006, torch's kernel). Transcripts are decoded greedily (best path: argmax per
frame, merge repeats, drop blanks) or by prefix beam search (``--beam K``), and scored by CER and
WER from pooled edit distances.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import torch
from torch import Tensor, nn

from seqkit.data import BatchLoader, DataError, pad, prepare, token_batches
from seqkit.errors import ConfigError
from seqkit.metrics.error_rate import ErrorRate, ErrorRateScore
from seqkit.speech import corpus
from seqkit.speech.audio import change_speed, read_wav
from seqkit.speech.ctc import ctc_loss
from seqkit.speech.decode import WordList, beam_decode, greedy_decode
from seqkit.speech.digits import BLANK, LABELS, decode, encode
from seqkit.speech.features import FeatureConfig, log_mel_spectrogram, normalise, spec_augment
from seqkit.tasks.base import Recipe, Report
from seqkit.tasks.ctc.data import HELD_OUT_VARIANTS, SPLITS, DigitsDataConfig
from seqkit.tasks.ctc.model import CTCModel, CTCModelConfig
from seqkit.tasks.ctc.verbs import EVALUATE_OPTIONS, VERBS

TEST_SPLITS = {"test-espeak": f"held-out espeak-ng variants {', '.join(HELD_OUT_VARIANTS)}",
               "test-flite": "held-out flite voices kal16, awb, rms, slt"}


@dataclass
class CTCRecipe(Recipe):
    task: str = "ctc"
    data: DigitsDataConfig = field(default_factory=DigitsDataConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    model: CTCModelConfig = field(default_factory=CTCModelConfig)


class Batch(NamedTuple):
    x: Tensor  # (B, T, F) normalised log-mels, 0 past each length
    x_lengths: Tensor  # (B,) frames
    y: Tensor  # (B, S) label ids (LABELS), 0 past each length
    y_lengths: Tensor  # (B,) characters


def collate(examples: Sequence[tuple[Tensor, list[int]]]) -> Batch:
    x, x_lengths = pad([x for x, _ in examples])
    y, y_lengths = pad([y for _, y in examples])
    return Batch(x, x_lengths, y, y_lengths)


class Augmentation(NamedTuple):
    """What :class:`Utterances` does to a training utterance, drawn afresh per epoch and item."""

    spec_augment: bool = False  # SpecAugment masks on the normalised log-mels
    speed: float = 0.0  # speed factor uniform in [1 − speed, 1 + speed] (0: none)
    vtlp: float = 0.0  # VTLP warp α uniform in [1 − vtlp, 1 + vtlp] (0: none)


class Utterances(torch.utils.data.Dataset):
    """Item i: (normalised log-mels (T, F), label ids) of utterance i; with ``augment``, played
    at another speed, warped (VTLP) and masked (SpecAugment) as drawn from its own seed
    (seed, epoch, i), so a resumed epoch sees the same augmentation."""

    def __init__(self, waveforms: corpus.Waveforms, features: FeatureConfig,
                 augment: Augmentation | None = None, seed: int = 0, epoch: int = 0) -> None:
        self.waveforms, self.features = waveforms, features
        self.augment = augment or Augmentation()
        self.seed, self.epoch = seed, epoch

    def __len__(self) -> int:
        return len(self.waveforms)

    def __getitem__(self, i: int) -> tuple[Tensor, list[int]]:
        augment, waveform, warp = self.augment, self.waveforms.waveform(i), 1.0
        # a tuple of ints hashes alike in every process (no salt, unlike str)
        generator = torch.Generator().manual_seed(hash((self.seed, self.epoch, i)))

        def uniform(half_width: float) -> float:  # 1 + U(−half_width, half_width)
            return 1.0 + half_width * (2 * float(torch.rand((), generator=generator)) - 1)

        if augment.speed > 0:
            waveform = change_speed(waveform, uniform(augment.speed))
        if augment.vtlp > 0:
            warp = uniform(augment.vtlp)
        x = normalise(log_mel_spectrogram(waveform, self.features, warp))
        if augment.spec_augment:
            x = spec_augment(x, generator=generator)
        return x, encode(self.waveforms.texts[i])


class CTCTask:
    """Trains the CTC model on synthesised digit strings; transcribes WAV files."""

    name = "ctc"
    unit = "characters"  # what the count of loss counts (progress lines)
    Recipe = CTCRecipe
    metrics: ClassVar = {"cer": False, "wer": False, "loss": False}
    resumable: ClassVar = ("data.workers", "data.processes")
    evaluate_options = EVALUATE_OPTIONS

    def __init__(self, recipe: CTCRecipe) -> None:
        self.recipe = recipe
        self.model = CTCModel(recipe.model, recipe.features.n_mels, len(LABELS))

    @classmethod
    def build(cls, recipe: CTCRecipe) -> "CTCTask":
        if recipe.data.prepare:
            prepare(recipe.data.prepare, recipe.data, recipe.seed)
        task = cls(recipe)
        for split in ("train", "valid"):
            task.split(split)  # a missing split is one line, before training starts
        return task

    @classmethod
    def restore(cls, recipe: CTCRecipe, state: dict[str, Any]) -> "CTCTask":
        if state["kind"] != cls.name or tuple(state["labels"]) != LABELS:
            raise ValueError(f"expected the state of a {cls.name} task over {len(LABELS)} "
                             f"labels, got {state['kind']!r} with {len(state['labels'])}")
        return cls(recipe)

    @classmethod
    def verbs(cls) -> list:
        return VERBS

    def state(self) -> dict[str, Any]:
        return {"kind": self.name, "labels": list(LABELS)}

    def split(self, name: str) -> corpus.Waveforms:
        return _load_split(str(self.recipe.data.path(name)))

    def batches(self, epoch: int) -> BatchLoader:
        """The epoch's batches of similar lengths, B × T ≤ ``data.batch_frames`` (before speed
        perturbation, which may lengthen T by up to 1/(1 − ``data.speed``)), in an order drawn
        from (seed, epoch)."""
        data, features = self.recipe.data, self.recipe.features
        train = self.split("train")
        frames = [features.num_frames(n) for n in train.num_samples()]
        generator = torch.Generator().manual_seed(hash((self.recipe.seed, epoch)))
        order = token_batches(frames, data.batch_frames, generator=generator)
        augment = Augmentation(data.spec_augment, data.speed, data.vtlp)
        dataset = Utterances(train, features, augment, self.recipe.seed, epoch)
        return BatchLoader(dataset, order, collate, workers=data.workers)

    def loss(self, model: nn.Module, batch: Batch) -> tuple[Tensor, int]:
        """Σ_b −log p(l_b|x_b) / Σ_b |l_b|, and the characters Σ_b |l_b|."""
        log_probs, lengths = model(batch.x, batch.x_lengths)
        total = ctc_loss(log_probs, batch.y, lengths, batch.y_lengths, BLANK, reduction="sum")
        count = int(batch.y_lengths.sum())
        return total / max(count, 1), count

    def log_probs(self, features: list[Tensor]) -> tuple[Tensor, Tensor]:
        """log y (B, T', V) and lengths (B,) of normalised log-mels (T_b, F), in eval mode."""
        device = next(self.model.parameters()).device
        x, lengths = pad(features)
        self.model.eval()
        with torch.no_grad():
            return self.model(x.to(device), lengths.to(device))

    def decode(self, log_probs: Tensor, lengths: Tensor, beam: int = 1,
               words: WordList | None = None) -> list[str]:
        """Transcripts of log y (B, T', V): greedy for ``beam`` = 1, else prefix beam search
        with K = ``beam``, kept to the ``words`` of a word list when one is given."""
        if words is not None and beam == 1:
            raise ConfigError("--words: a word list needs prefix beam search; give --beam K ≥ 2")
        log_probs, lengths = log_probs.cpu(), lengths.cpu()
        labels = (greedy_decode(log_probs, lengths, BLANK) if beam == 1
                  else beam_decode(log_probs, lengths, beam, BLANK, words, lm_weight=1.0))
        return [decode(ids) for ids in labels]

    def transcribe_features(self, features: list[Tensor], beam: int = 1,
                            words: WordList | None = None, batch_size: int = 32) -> list[str]:
        """The transcript of each utterance's normalised log-mels (T_b, F)."""
        return [text for i in range(0, len(features), batch_size)
                for text in self.decode(*self.log_probs(features[i:i + batch_size]), beam, words)]

    def transcribe(self, waveforms: list[Tensor], beam: int = 1,
                   words: WordList | None = None) -> list[str]:
        """The transcript of each 16 kHz waveform (N_b,)."""
        return self.transcribe_features(
            [normalise(log_mel_spectrogram(w, self.recipe.features)) for w in waveforms], beam,
            words)

    def transcribe_files(self, paths: Sequence[str | Path], beam: int = 1,
                         words: WordList | None = None) -> list[str]:
        """The transcript of each WAV file (any rate, resampled to 16 kHz); unreadable, empty
        or too short audio is a one-line DataError naming the file."""
        waveforms = []
        minimum = self.recipe.features.n_fft // 2 + 1
        for path in paths:
            waveform = read_wav(path)
            if waveform.numel() < minimum:
                raise DataError(f"{path}: audio too short to transcribe ({waveform.numel()} "
                                f"samples at 16 kHz; expected at least {minimum})")
            waveforms.append(waveform)
        return self.transcribe(waveforms, beam, words)

    def score(self, split: str, beam: int = 1, words: WordList | None = None,
              batch_size: int = 32) -> tuple[ErrorRateScore, ErrorRateScore, float]:
        """CER and WER of a split's transcripts, and the CTC loss per character."""
        hypotheses, loss = self.hypotheses(split, beam, words, batch_size)
        references = self.split(split).texts
        return (ErrorRate("char").corpus_score(hypotheses, references),
                ErrorRate("word").corpus_score(hypotheses, references), loss)

    def hypotheses(self, split: str, beam: int = 1, words: WordList | None = None,
                   batch_size: int = 32) -> tuple[list[str], float]:
        """The transcript of every utterance of a split, and the CTC loss per character."""
        data = Utterances(self.split(split), self.recipe.features)
        hypotheses: list[str] = []
        total, chars = 0.0, 0
        for i in range(0, len(data), batch_size):
            examples = [data[j] for j in range(i, min(i + batch_size, len(data)))]
            y, y_lengths = pad([y for _, y in examples])
            log_probs, lengths = self.log_probs([x for x, _ in examples])
            hypotheses += self.decode(log_probs, lengths, beam, words)
            total += float(ctc_loss(log_probs.cpu(), y, lengths.cpu(), y_lengths, BLANK,
                                    reduction="sum"))
            chars += int(y_lengths.sum())
        return hypotheses, total / max(chars, 1)

    def validate(self, model: nn.Module) -> dict[str, float]:
        cer, wer, loss = self.score("valid")
        return {"cer": cer.score, "wer": wer.score, "loss": loss}

    def evaluate(self, split: str = "test", beam: int = 1, words: str | None = None) -> Report:
        """CER and WER on ``split``; ``test`` is both held-out splits, test-espeak and
        test-flite, reported one by one. ``words``: a word-list file (:func:`read_words`)."""
        if split not in (*SPLITS, "test"):
            raise ConfigError(f"--split: expected one of {', '.join((*SPLITS, 'test'))}, got "
                              f"{split!r}")
        splits = list(TEST_SPLITS) if split == "test" else [split]
        lexicon = None if words is None else read_words(words)
        decoding = "greedy (best path)" if beam == 1 else f"prefix beam search (K = {beam})"
        kept = "" if lexicon is None else f" kept to the {len(lexicon.words)} words of {words}"
        metrics: dict[str, float] = {}
        lines = []
        for name in splits:
            hypotheses, _ = self.hypotheses(name, beam, lexicon)
            references, speakers = self.split(name).texts, self.split(name).voices
            cer = ErrorRate("char").corpus_score(hypotheses, references)
            wer = ErrorRate("word").corpus_score(hypotheses, references)
            suffix = "" if len(splits) == 1 else "_" + name.removeprefix("test-")
            metrics |= {f"cer{suffix}": cer.score, f"wer{suffix}": wer.score}
            voices = TEST_SPLITS.get(name, "training voices")
            lines += [f"{name} ({len(references)} utterances, {voices}):",
                      f"  {cer.format()}", f"  {wer.format()}"]
            if speakers is not None:  # corpora made before voices were kept have none
                by_voice = cer_by_voice(hypotheses, references, speakers)
                metrics |= {f"cer{suffix}/{v}": score for v, (score, _) in by_voice.items()}
                lines.append("  CER by voice: " + ", ".join(
                    f"{v} {score:.2f}% ({n})" for v, (score, n) in by_voice.items()))
        lines.append(f"how: {decoding} decoding of per-frame CTC outputs{kept}; error rates from "
                     f"edit distances pooled over the split (CER counts spaces)")
        return Report(f"{split}: {self.recipe.data.dir}", metrics, lines,
                      {"split": split, "beam": beam, "words": words, "seed": self.recipe.seed})


def cer_by_voice(hypotheses: list[str], references: list[str],
                 speakers: list[str]) -> dict[str, tuple[float, int]]:
    """Each voice's CER over its own utterances (edit distances pooled) and their number,
    ordered by voice: {"flite slt": (22.8, 46), …}."""
    pairs: dict[str, tuple[list[str], list[str]]] = {}
    for hypothesis, reference, speaker in zip(hypotheses, references, speakers, strict=True):
        hyps, refs = pairs.setdefault(speaker, ([], []))
        hyps.append(hypothesis)
        refs.append(reference)
    return {voice: (ErrorRate("char").corpus_score(*pairs[voice]).score, len(pairs[voice][0]))
            for voice in sorted(pairs)}


def read_words(path: str | Path) -> WordList:
    """The word list of a file, one word a line (blank lines skipped), as a prefix beam search
    scorer: a word that leaves the list costs −10 in log score. A word of characters outside
    the model's labels (lower-case letters) is a DataError naming the file and line."""
    lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    words = []
    for number, line in enumerate(lines, 1):
        word = line.strip()
        if not word:
            continue
        if word.strip("abcdefghijklmnopqrstuvwxyz"):
            raise DataError(f"{path}:{number}: {word[:40]!r} is not a word of lower-case letters "
                            f"a-z (the model's labels)")
        words.append(encode(word))
    if not words:
        raise DataError(f"{path}: no words (one a line)")
    return WordList(words, space=LABELS.index(" "))


@cache
def _load_split(path: str) -> corpus.Waveforms:
    return corpus.load(path)
