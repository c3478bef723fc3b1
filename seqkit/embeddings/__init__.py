"""Word embeddings: word2vec (skip-gram, CBOW), GloVe, queries, evaluation, debiasing, interop.

    vocab = WordVocab.build((line.split() for line in open("corpus.txt")), min_count=5)
    stream = WindowStream("corpus.txt", vocab, window=5, sample=1e-3, epochs=5)
    model = Word2Vec(len(vocab), Word2VecConfig(arch="skipgram", dim=100))
    fit_word2vec(model, stream, Word2VecTrainConfig(), NoiseSampler(vocab.noise_probs(), g))
    vectors = WordVectors(vocab.words, model.embedding.detach())
    vectors.analogy("man", "woman", "king")            # [Neighbour(word='queen', score=…)]
    print(evaluate_analogies(vectors, datapath("questions-words.txt")))
"""

from seqkit.embeddings.corpus import Windows, WindowStream, context_windows
from seqkit.embeddings.debias import (
    WORD_LISTS,
    bias_direction,
    difference_direction,
    direct_bias,
    equalize,
    hard_debias,
    neutralize,
    word_list,
)
from seqkit.embeddings.evaluation import (
    AnalogyScores,
    PairScores,
    SectionScore,
    evaluate_analogies,
    evaluate_word_pairs,
)
from seqkit.embeddings.fast import banded_sgd_step
from seqkit.embeddings.glove import GloVe, GloVeConfig, cooccurrence, fit_glove, weighting
from seqkit.embeddings.interop import from_gensim, load_word2vec, save_word2vec, to_gensim
from seqkit.embeddings.sequential import AliasTable, sequential_sgd_step
from seqkit.embeddings.training import (
    TrainStats,
    Word2VecTrainConfig,
    fit_word2vec,
    linear_lr,
    step_noise,
    uses_sequential,
)
from seqkit.embeddings.vectors import Neighbour, UnknownWordError, WordVectors
from seqkit.embeddings.vocab import WordVocab
from seqkit.embeddings.word2vec import Inputs, NoiseSampler, Word2Vec, Word2VecConfig

__all__ = [
    "WORD_LISTS",
    "AliasTable",
    "AnalogyScores",
    "GloVe",
    "GloVeConfig",
    "Inputs",
    "Neighbour",
    "NoiseSampler",
    "PairScores",
    "SectionScore",
    "TrainStats",
    "UnknownWordError",
    "WindowStream",
    "Windows",
    "Word2Vec",
    "Word2VecConfig",
    "Word2VecTrainConfig",
    "WordVectors",
    "WordVocab",
    "banded_sgd_step",
    "bias_direction",
    "context_windows",
    "cooccurrence",
    "difference_direction",
    "direct_bias",
    "equalize",
    "evaluate_analogies",
    "evaluate_word_pairs",
    "fit_glove",
    "fit_word2vec",
    "from_gensim",
    "hard_debias",
    "linear_lr",
    "load_word2vec",
    "neutralize",
    "save_word2vec",
    "sequential_sgd_step",
    "step_noise",
    "to_gensim",
    "uses_sequential",
    "weighting",
    "word_list",
]
