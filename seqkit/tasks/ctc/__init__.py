"""The CTC task (:mod:`.task`: character CTC on spoken digit strings), its data (:mod:`.data`),
model (:mod:`.model`) and command line (:mod:`.verbs`).

Kept free of imports so that the command line loads only :mod:`.verbs`.
"""
