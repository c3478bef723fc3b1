"""The GAN task (:mod:`.task`): a small DCGAN-style generator and discriminator (:mod:`.model`)
on scikit-learn's digits, with the notes' two generator costs; command line in :mod:`.verbs`.

Kept free of imports so that the command line loads only :mod:`.verbs`.
"""
