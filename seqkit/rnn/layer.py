"""The RNN layer: cells unrolled over time, stacked and bidirectional (notes: "BRNN"), batch-first.

Two paths compute the same function. The cell loop runs the cells' ``*_step`` functions one step
at a time and is the specification; the fused path hands this module's own parameters to torch's
kernel (``torch.lstm``/``gru``/``rnn_tanh``/``rnn_relu``, what torch.nn.LSTM etc. call)
whenever the configuration has one. Tests hold the two paths equal to each other and to torch.nn.

Shape symbols (docs/notation.md): B batch, T time, I input features, H hidden size,
D directions, L layers.
"""

import inspect
import warnings
from collections.abc import Callable
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from seqkit.rnn.cells import (
    GRUCell,
    LSTMCell,
    RNNCell,
    SimplifiedGRUCell,
    State,
    check_flag,
    check_options,
    check_size,
    gru_step,
    lstm_step,
    parameter_shapes,
    reset_uniform,
    rnn_step,
    simple_gru_step,
)

# cell name → (cell class, whose signature declares the options and their defaults; its step)
CELLS: dict[str, tuple[type[nn.Module], Callable[..., State]]] = {
    "gru": (GRUCell, gru_step),
    "lstm": (LSTMCell, lstm_step),
    "rnn": (RNNCell, rnn_step),
    "simple_gru": (SimplifiedGRUCell, simple_gru_step),
}
_PARAMETER_OPTIONS = ("bias", "peepholes")  # shape the parameters; the other options go to step


def _resolve_options(cell: str, options: dict[str, object]) -> dict[str, object]:
    """The cell's options with its class's defaults filled in; unknown names raise TypeError."""
    signature = inspect.signature(CELLS[cell][0])
    defaults = {
        name: p.default
        for name, p in signature.parameters.items()
        if name not in ("input_size", "hidden_size")
    }
    for name in options:
        if name not in defaults:
            raise TypeError(
                f"RNN: unknown option {name!r} for cell {cell!r}; "
                f"expected one of {', '.join(defaults)}"
            )
    resolved = defaults | options
    check_options("RNN", **resolved)
    return resolved


class RNN(nn.Module):
    r"""A stack of L recurrent layers of one cell type, each one- or two-directional (BRNN).

    Layer l runs its cell over time on the outputs of layer l − 1 (dropout between layers in
    training); a bidirectional layer also runs a second cell from the last real step backwards
    and concatenates both a<t>: outputs[:, t] = [a→<t>, a←<t>]. The cell loop is equivalent to::

        for t in range(T):                       # t from T − 1 down to 0 for the reverse cell
            state = step(x[:, t] @ W_ih.T + b_ih, state, W_hh, b_hh)   # seqkit.rnn.cells
            outputs[:, t] = state[0]             # a<t>

    with a sequence's state frozen and its outputs zero past its length.

    Args:
        cell: ``"rnn"``, ``"gru"``, ``"simple_gru"`` or ``"lstm"`` (RNNCell, GRUCell,
            SimplifiedGRUCell, LSTMCell).
        input_size: I.
        hidden_size: H.
        num_layers: L.
        bidirectional: D = 2 if True, else 1.
        dropout: drop probability on each layer's outputs but the last's, in training.
        fused: run on torch's fused kernel (True), the cell loop (False), or the kernel whenever
            the configuration has one (None): rnn, gru with reset="after", lstm without peepholes.
        cell_options: the cell's keyword arguments: ``bias``; ``nonlinearity`` (rnn);
            ``reset`` (gru); ``peepholes`` (lstm).

    Inputs: x (B, T, I); lengths (B,) integer in [1, T] or None for all T; state: the initial
    state in torch's layout, a (L·D, B, H) tensor, or for lstm a pair (a, c) of them; None for
    zeros. Index l·D + d is layer l, direction d (1 = reverse).

    Outputs: (outputs (B, T, D·H), final_state) with final_state in the layout of ``state``, each
    sequence's at its last real step (for the reverse direction: at t = 0).

    Parameters (torch.nn.RNN/GRU/LSTM's names, so their state_dicts load unchanged): for layer k
    and suffix s = "" or "_reverse", ``weight_ih_l{k}{s}`` (G·H, I or D·H), ``weight_hh_l{k}{s}``
    (G·H, H), ``bias_ih_l{k}{s}`` and ``bias_hh_l{k}{s}`` (G·H,), packed as in the cell; with
    peepholes also ``weight_ch_l{k}{s}`` (3, H). G = 1, 3, 2, 4 for rnn, gru, simple_gru, lstm.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        fused: bool | None = None,
        **cell_options: object,
    ) -> None:
        super().__init__()
        if not isinstance(cell, str):
            raise TypeError(f"RNN: expected cell to be a str, got {type(cell).__name__}")
        if cell not in CELLS:
            raise ValueError(f"RNN: unknown cell {cell!r}; expected one of {', '.join(CELLS)}")
        self.cell = cell
        self.input_size = check_size("RNN", "input_size", input_size)
        self.hidden_size = check_size("RNN", "hidden_size", hidden_size)
        self.num_layers = check_size("RNN", "num_layers", num_layers)
        self.bidirectional = check_flag("RNN", "bidirectional", bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.dropout = _check_dropout(dropout, num_layers)
        self.options = _resolve_options(cell, cell_options)
        self.bias = bool(self.options["bias"])
        step_options = {k: v for k, v in self.options.items() if k not in _PARAMETER_OPTIONS}
        self._step = partial(CELLS[cell][1], **step_options)
        self._kernel = _fused_kernel(cell, self.options)
        self.fused = fused
        self._make_parameters()
        self.reset_parameters()

    def _make_parameters(self) -> None:
        """weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_ih_l0_reverse, …"""
        gates = CELLS[self.cell][0].gates
        peepholes = bool(self.options.get("peepholes", False))
        for k in range(self.num_layers):
            layer_input = self.input_size if k == 0 else self.num_directions * self.hidden_size
            for suffix in ("", "_reverse")[: self.num_directions]:
                shapes = parameter_shapes(
                    gates, layer_input, self.hidden_size, self.bias, peepholes
                )
                for name, shape in shapes.items():
                    setattr(self, f"{name}_l{k}{suffix}", nn.Parameter(torch.empty(shape)))

    def reset_parameters(self) -> None:
        reset_uniform(self, self.hidden_size)

    @property
    def fused(self) -> bool:
        """Whether forward runs on torch's fused kernel (else on the cell loop)."""
        return self._fused

    @fused.setter
    def fused(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"RNN: expected fused to be a bool or None, got {type(value).__name__}")
        if value and self._kernel is None:
            raise ValueError(
                f"RNN: no fused kernel for cell {self.cell!r} with {self.options}; "
                "expected fused=False or None"
            )
        self._fused = self._kernel is not None if value is None else value

    def _weights(self, layer: int, direction: int) -> dict[str, Tensor | None]:
        """One cell's parameters in torch's order, None where absent (no bias, no peepholes)."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_ch")
        return {name: getattr(self, name + suffix, None) for name in names}

    def forward(
        self, x: Tensor, lengths: Tensor | None = None, state: Tensor | State | None = None
    ) -> tuple[Tensor, Tensor | State]:
        B, T = self._check_input(x)
        self._check_lengths(lengths, B, T)
        initial = self._check_state(state, x)
        run = self._forward_fused if self._fused else self._forward_loop
        outputs, final = run(x, lengths, initial)
        return outputs, (final if self.cell == "lstm" else final[0])

    def _forward_fused(
        self, x: Tensor, lengths: Tensor | None, state: State
    ) -> tuple[Tensor, State]:
        """torch's kernel on this module's parameters: all layers in one call (torch.nn.LSTM's
        forward) without lengths; with lengths, see :meth:`_forward_fused_flipped` (lstm:
        :meth:`_forward_fused_packed`)."""
        assert self._kernel is not None
        if lengths is None:
            flat, settings = self._kernel_arguments()
            hx = state if self.cell == "lstm" else state[0]
            outputs, *final = self._kernel(x, hx, flat, *settings, True)  # batch_first
            return outputs, tuple(final)
        if self.cell != "lstm":
            return self._forward_fused_flipped(x, lengths, state[0])
        return self._forward_fused_packed(x, lengths, state)

    def _kernel_arguments(self) -> tuple[list[Tensor], tuple]:
        """The kernel's flat weights (layer, direction, then torch's order) and settings."""
        flat = [
            w
            for k in range(self.num_layers)
            for d in range(self.num_directions)
            for w in self._weights(k, d).values()
            if w is not None
        ]
        return flat, (self.bias, self.num_layers, self.dropout, self.training, self.bidirectional)

    def _forward_fused_packed(
        self, x: Tensor, lengths: Tensor, state: State
    ) -> tuple[Tensor, State]:
        """The kernel on a packed sequence (torch.nn.LSTM.forward's calls), all layers at once."""
        assert self._kernel is not None
        flat, settings = self._kernel_arguments()
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        order = packed.sorted_indices  # longest first; unsorted_indices puts them back
        sorted_state = [h.index_select(1, order) for h in state]
        hx = sorted_state if self.cell == "lstm" else sorted_state[0]
        data, *final = self._kernel(packed.data, packed.batch_sizes, hx, flat, *settings)
        outputs, _ = pad_packed_sequence(
            PackedSequence(data, packed.batch_sizes, order, packed.unsorted_indices),
            batch_first=True,
            total_length=x.shape[1],
        )
        return outputs, tuple(h.index_select(1, packed.unsorted_indices) for h in final)

    def _forward_fused_flipped(
        self, x: Tensor, lengths: Tensor, state: Tensor
    ) -> tuple[Tensor, State]:
        """The kernel over padded sequences of several lengths, one call per layer and direction.

        On CPU a packed sequence makes the kernel slice each step's rows out of the input and
        its products, and the backward of each slice zeroes a tensor of the whole input's size:
        O(T²) work. On a padded batch it takes all T steps apart at once (unbind). Padding comes
        after each sequence, so the forward direction's outputs and states up to a sequence's
        length are its own; the reverse direction runs forwards over each sequence reversed
        within its length (``flip``; padding stays at the end) and is flipped back. The final
        state is read at step length − 1; outputs past the length are set to 0. Single-state
        cells only: the lstm's memory cell at length − 1 is not among the kernel's outputs.
        Note: dropout between layers draws its masks here, not inside the kernel.
        """
        assert self._kernel is not None
        B, T, _ = x.shape
        t = torch.arange(T, device=x.device)
        lengths = lengths.to(x.device)[:, None]  # (B, 1)
        real = t < lengths  # (B, T)
        # flip[b, t] = length_b − 1 − t within the sequence, t in its padding; e.g. length 3,
        # T = 5: [2, 1, 0, 3, 4]. flip is its own inverse.
        flip = torch.where(real, lengths - 1 - t, t)[..., None]  # (B, T, 1)
        last = (lengths - 1)[..., None].expand(B, 1, self.hidden_size)  # (B, 1, H)
        finals = []
        for k in range(self.num_layers):
            if k > 0:
                x = F.dropout(x, self.dropout, self.training)
            directions = []
            for d in range(self.num_directions):
                i = k * self.num_directions + d
                weights = [w for w in self._weights(k, d).values() if w is not None]
                inputs = x.gather(1, flip.expand_as(x)) if d else x
                outputs, _ = self._kernel(inputs, state[i : i + 1], weights, self.bias, 1, 0.0,
                                          self.training, False, True)  # (B, T, H)
                finals.append(outputs.gather(1, last).squeeze(1))  # (B, H) at length − 1
                if d:
                    outputs = outputs.gather(1, flip.expand_as(outputs))
                directions.append(outputs)
            x = torch.cat(directions, dim=2) * real[..., None]  # (B, T, D·H), 0 past the length
        return x, (torch.stack(finals),)  # (L·D, B, H)

    def _forward_loop(
        self, x: Tensor, lengths: Tensor | None, state: State
    ) -> tuple[Tensor, State]:
        """The cell loop, layer by layer; state[i][k·D + d] is layer k, direction d."""
        T = x.shape[1]
        real = None
        if lengths is not None:  # real[t] (B, 1): whether step t lies within each sequence
            real = (torch.arange(T, device=x.device) < lengths.to(x.device)[:, None]).T[..., None]
        finals = []
        for k in range(self.num_layers):
            if k > 0:
                x = F.dropout(x, self.dropout, self.training)
            directions = []
            for d in range(self.num_directions):
                i = k * self.num_directions + d
                outputs, final = self._run_cell(x, real, tuple(s[i] for s in state), k, d)
                directions.append(outputs)
                finals.append(final)
            x = torch.cat(directions, dim=2)  # (B, T, D·H)
        return x, tuple(torch.stack(f) for f in zip(*finals, strict=True))  # (L·D, B, H) each

    def _run_cell(
        self, x: Tensor, real: Tensor | None, state: State, layer: int, direction: int
    ) -> tuple[Tensor, State]:
        """One direction of one layer: x (B, T, I) → outputs (B, T, H), the final state."""
        w = self._weights(layer, direction)
        # W_ih x<t> + b_ih for all t at once, split into T × (B, G·H) (unbind: one backward op)
        gx = F.linear(x, w["weight_ih"], w["bias_ih"]).unbind(1)
        hh = [w["weight_hh"], w["bias_hh"]]
        if w["weight_ch"] is not None:  # peepholes
            hh.append(w["weight_ch"])
        steps = range(len(gx))
        outputs = []  # a<t> in the order computed
        for t in reversed(steps) if direction else steps:
            new = self._step(gx[t], state, *hh)
            if real is None:
                state = new
                outputs.append(new[0])
            else:  # past its length a sequence keeps its state and outputs zeros
                state = tuple(torch.where(real[t], n, s) for n, s in zip(new, state, strict=True))
                outputs.append(torch.where(real[t], new[0], 0.0))
        if direction:
            outputs.reverse()
        return torch.stack(outputs, dim=1), state

    def _check_input(self, x: Tensor) -> tuple[int, int]:
        if not isinstance(x, Tensor):
            raise TypeError(f"RNN: expected input to be a Tensor, got {type(x).__name__}")
        if x.dim() != 3:
            raise ValueError(f"RNN: expected input of rank 3 (B, T, I), got rank {x.dim()}")
        B, T, features = x.shape
        if features != self.input_size:
            raise ValueError(f"RNN: expected input feature size {self.input_size}, got {features}")
        if T == 0:
            raise ValueError("RNN: expected input with T ≥ 1 steps, got 0")
        return B, T

    def _check_lengths(self, lengths: Tensor | None, B: int, T: int) -> None:
        if lengths is None:
            return
        if not isinstance(lengths, Tensor) or lengths.is_floating_point() or lengths.is_complex():
            raise TypeError(
                f"RNN: expected lengths to be an integer Tensor, got {_describe(lengths)}"
            )
        if tuple(lengths.shape) != (B,):
            raise ValueError(f"RNN: expected lengths of shape ({B},), got {tuple(lengths.shape)}")
        low, high = (int(lengths.min()), int(lengths.max())) if B else (1, T)
        if low < 1 or high > T:
            raise ValueError(f"RNN: expected lengths in [1, {T}], got min {low}, max {high}")

    def _check_state(self, state: Tensor | State | None, x: Tensor) -> State:
        """The initial state as a tuple of (L·D, B, H) tensors: (a,) or, for lstm, (a, c)."""
        shape = (self.num_layers * self.num_directions, x.shape[0], self.hidden_size)
        count = 2 if self.cell == "lstm" else 1
        if state is None:
            return tuple(x.new_zeros(shape) for _ in range(count))
        if self.cell == "lstm":
            if not isinstance(state, tuple | list) or len(state) != 2:
                raise TypeError(
                    "RNN: expected lstm state to be a pair (a, c) of tensors, "
                    f"got {_describe(state)}"
                )
            states = tuple(state)
        else:
            states = (state,)
        for s in states:
            if not isinstance(s, Tensor):
                raise TypeError(f"RNN: expected state to be a Tensor, got {_describe(s)}")
            if tuple(s.shape) != shape:
                raise ValueError(f"RNN: expected state of shape {shape}, got {tuple(s.shape)}")
        return states

    def extra_repr(self) -> str:
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return (
            f"{self.cell!r}, {self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"bidirectional={self.bidirectional}, dropout={self.dropout}, fused={self.fused}"
            + options
        )


def _describe(value: object) -> str:
    if isinstance(value, Tensor):
        return f"a {value.dtype} Tensor"
    return type(value).__name__


def _check_dropout(dropout: float, num_layers: int) -> float:
    if not isinstance(dropout, int | float) or isinstance(dropout, bool):
        raise TypeError(f"RNN: expected dropout to be a float, got {type(dropout).__name__}")
    if not 0 <= dropout <= 1:
        raise ValueError(f"RNN: expected dropout in [0, 1], got {dropout}")
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            f"RNN: dropout={dropout} has no effect with num_layers=1 "
            "(it applies between layers only)",
            stacklevel=3,
        )
    return float(dropout)


def _fused_kernel(cell: str, options: dict[str, object]) -> Callable[..., tuple] | None:
    """torch's kernel for this configuration, or None when it has none."""
    if cell == "rnn":
        return torch.rnn_tanh if options["nonlinearity"] == "tanh" else torch.rnn_relu
    if cell == "gru" and options["reset"] == "after":
        return torch.gru
    if cell == "lstm" and not options["peepholes"]:
        return torch.lstm
    return None
