"""The image-classification task (:mod:`.task`: LeNet-5 on scikit-learn's digits), its data
(:mod:`.digits`), image files (:mod:`.images`) and command line (:mod:`.verbs`).

Kept free of imports so that the command line loads only :mod:`.verbs`.
"""
