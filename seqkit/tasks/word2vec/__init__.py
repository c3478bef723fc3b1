"""The word-embedding tasks: ``task: word2vec`` (:mod:`.task`) and ``task: glove`` (:mod:`.glove`),
sharing their data section and evaluation (:mod:`.data`) and the ``seqkit embed`` verbs
(:mod:`.verbs`)."""
