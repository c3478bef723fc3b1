"""The language-model task (:mod:`.task`), its command line (:mod:`.verbs`) and the preparers of
its corpora (:mod:`.data`: Faker's first names, Jane Austen's novels)."""
