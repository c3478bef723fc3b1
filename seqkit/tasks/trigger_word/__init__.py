"""The trigger-word task (:mod:`.task`: the notes' Conv1D → GRU → GRU detector on synthesised
clips), its data (:mod:`.data`) and command line (:mod:`.verbs`).

Kept free of imports so that the command line loads only :mod:`.verbs`.
"""
