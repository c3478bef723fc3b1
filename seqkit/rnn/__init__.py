"""Recurrent cells written as the notes' equations, and the RNN layer with torch's fused kernel
as its fast path."""

from seqkit.rnn.cells import GRUCell, LSTMCell, RNNCell, SimplifiedGRUCell
from seqkit.rnn.layer import RNN

__all__ = ["RNN", "GRUCell", "LSTMCell", "RNNCell", "SimplifiedGRUCell"]
