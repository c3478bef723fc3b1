"""The sequence-classification task (:mod:`.task`), its command line (:mod:`.verbs`) and the
preparer of Pang & Lee's labelled sentences (:mod:`.data`)."""
