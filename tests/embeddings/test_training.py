"""The fast training loop: the linear learning-rate schedule, exact resume, and skip-gram solving
the analogies planted in a toy corpus."""

import itertools
import random

import pytest
import torch

from seqkit.embeddings.corpus import WindowStream
from seqkit.embeddings.training import Word2VecTrainConfig, fit_word2vec, linear_lr
from seqkit.embeddings.vectors import WordVectors
from seqkit.embeddings.vocab import WordVocab
from seqkit.embeddings.word2vec import NoiseSampler, Word2Vec, Word2VecConfig
from seqkit.errors import ConfigError

GENDERS = {"male": ["he", "him", "his", "mr"], "female": ["she", "her", "hers", "mrs"]}
ROLES = {  # role: (male word, female word, the role's context words)
    "person": ("man", "woman", ["walks", "works", "talks"]),
    "royal": ("king", "queen", ["crown", "throne", "palace"]),
    "child": ("boy", "girl", ["toy", "school", "play"]),
    "sibling": ("brother", "sister", ["sibling", "twin", "older"]),
    "parent": ("father", "mother", ["parents", "raise", "home"]),
}
DIM = 10
FILLER = [f"f{i}" for i in range(30)]


def planted_corpus(path, n: int = 3000, seed: int = 0) -> list[list[str]]:
    """Sentences of one target word with two words of its gender, two of its role, two fillers:
    PMI(w, context) is a gender part plus a role part, so e_queen ≈ e_king − e_man + e_woman."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        gender, role = rng.choice(list(GENDERS)), rng.choice(list(ROLES))
        male, female, role_words = ROLES[role]
        words = [male if gender == "male" else female, *rng.sample(GENDERS[gender], 2),
                 *rng.sample(role_words, 2), *rng.sample(FILLER, 2)]
        rng.shuffle(words)
        lines.append(words)
    path.write_text("".join(" ".join(line) + "\n" for line in lines), encoding="utf-8")
    return lines


def train(path, lines, config: Word2VecTrainConfig, arch: str = "skipgram"):
    vocab = WordVocab.build(lines, min_count=config.min_count)
    model = Word2Vec(len(vocab), Word2VecConfig(arch=arch, dim=DIM, seed=config.seed))
    stream = WindowStream(path, vocab, config.window, config.sample, config.batch_words,
                          config.epochs, config.seed)
    noise = NoiseSampler(vocab.noise_probs(), torch.Generator().manual_seed(config.seed))
    total = config.epochs * int(vocab.counts.sum())
    return vocab, model, stream, noise, total


def test_linear_lr():
    assert linear_lr(0.025, 1e-4, 0.0) == 0.025
    assert linear_lr(0.025, 1e-4, 0.5) == pytest.approx((0.025 + 1e-4) / 2)
    assert linear_lr(0.025, 1e-4, 1.0) == linear_lr(0.025, 1e-4, 3.0) == pytest.approx(1e-4)


@pytest.mark.parametrize("path", ["sequential", "banded"])
def test_skipgram_solves_the_planted_analogies(tmp_path, path):
    lines = planted_corpus(tmp_path / "planted.txt")
    # 47 words, none subsampled: in a banded step each is updated many times, so max_updates = 4
    config = Word2VecTrainConfig(window=6, sample=0, min_count=1, epochs=8, batch_words=500,
                                 lr=0.1, max_updates=4, path=path)
    vocab, model, stream, noise, total = train(tmp_path / "planted.txt", lines, config)
    assert fit_word2vec(model, stream, config, noise, total).words == total
    vectors = WordVectors(vocab.words, model.embedding.detach())
    assert vectors.analogy("man", "woman", "king")[0].word == "queen"
    solved = [vectors.analogy(a, b, c)[0].word == d
              for (m1, f1, _), (m2, f2, _) in itertools.permutations(ROLES.values(), 2)
              for a, b, c, d in [(m1, f1, m2, f2), (f1, m1, f2, m2)]]
    assert sum(solved) >= 0.9 * len(solved)


def topic_corpus(path, n: int = 5000, topics: int = 8, per_topic: int = 25, function: int = 20,
                 seed: int = 0) -> list[list[str]]:
    """Sentences of 12 words, each a function word f_i (shared, Zipfian) or, with probability
    1/2, a word t_j of the sentence's topic (Zipfian within it): word2vec's batches where a few
    rows occur hundreds of times, as in English."""
    rng = random.Random(seed)
    zipf = [1 / (r + 1) for r in range(max(function, per_topic))]
    lines = []
    for _ in range(n):
        t = rng.randrange(topics)
        topical = [f"t{t}w{j}" for j in rng.choices(range(per_topic), zipf[:per_topic], k=12)]
        shared = [f"f{j}" for j in rng.choices(range(function), zipf[:function], k=12)]
        lines.append([a if rng.random() < 0.5 else b for a, b in zip(topical, shared, strict=True)])
    path.write_text("".join(" ".join(line) + "\n" for line in lines), encoding="utf-8")
    return lines


@pytest.mark.parametrize("path", ["sequential", "banded"])
@pytest.mark.parametrize("workers", [1, 2])
def test_skipgram_with_default_batches_learns_the_topics(tmp_path, workers, path):
    """With the defaults (10,000-word batches) skip-gram puts a topic's words together: mean
    cosine within a topic − across topics 0.62 on the sequential path, 0.51–0.52 on the banded
    one (stepped on in parts of 512 centers), also with two Hogwild workers (three seeds each;
    racy, so not on a 47-word toy, where colliding updates made it flaky). One banded step on
    each whole batch (``step_centers`` ≥ the batch) gave 0.01: nothing learned."""
    lines = topic_corpus(tmp_path / "topics.txt")
    config = Word2VecTrainConfig(epochs=3, workers=workers, path=path)
    vocab, model, stream, noise, total = train(tmp_path / "topics.txt", lines, config)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert fit_word2vec(model, stream, config, noise, total).words == total
        assert torch.get_num_threads() == 1  # the workers give torch's threads back
    finally:
        torch.set_num_threads(threads)
    words = [w for w in vocab.words if w.startswith("t")]
    e = model.embedding.detach()[[vocab.index[w] for w in words]]  # (n, E)
    x = torch.nn.functional.normalize(e, dim=1)
    topic = torch.tensor([int(w[1:].split("w")[0]) for w in words])
    same = topic[:, None] == topic[None]
    cos = x @ x.T
    margin = cos[same & ~torch.eye(len(words), dtype=torch.bool)].mean() - cos[~same].mean()
    assert margin > 0.3


@pytest.mark.parametrize("kind", ["sequential", "banded"])
def test_resume_equals_an_uninterrupted_run(tmp_path, kind):
    path = tmp_path / "planted.txt"
    lines = planted_corpus(path, n=300)
    config = Word2VecTrainConfig(window=3, min_count=1, epochs=2, batch_words=200, sample=0.05,
                                 path=kind)
    _, full, stream, noise, total = train(path, lines, config)
    fit_word2vec(full, stream, config, noise, total)

    _, model, stream, noise, total = train(path, lines, config)
    done = fit_word2vec(model, itertools.islice(stream, 5), config, noise, total).words
    checkpoint = {"model": model.state_dict(), "stream": stream.state_dict(),
                  "noise": noise.state_dict(), "words": done}
    torch.save(checkpoint, tmp_path / "ckpt.pt")
    checkpoint = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    _, resumed, stream, noise, total = train(path, lines, config)
    resumed.load_state_dict(checkpoint["model"])
    stream.load_state_dict(checkpoint["stream"])
    noise.load_state_dict(checkpoint["noise"])
    fit_word2vec(resumed, stream, config, noise, total, words_done=checkpoint["words"])
    assert torch.equal(resumed.embedding, full.embedding)
    assert torch.equal(resumed.theta, full.theta)


@pytest.mark.parametrize(("key", "value", "message"), [
    ("window", 0, "train.window: expected ≥ 1, got 0"),
    ("sample", -1.0, "train.sample: expected ≥ 0, got -1.0"),
    ("workers", 0, "train.workers: expected ≥ 1, got 0"),
    ("min_lr", 0.5, r"train.min_lr: expected in \[0, lr = 0.025\], got 0.5"),
    ("noise_groups", 0, "train.noise_groups: expected ≥ 1, got 0"),
    ("path", "fast", "train.path: expected auto | sequential | banded, got 'fast'"),
])
def test_config_errors(key, value, message):
    with pytest.raises(ConfigError, match=message):
        Word2VecTrainConfig(**{key: value})
