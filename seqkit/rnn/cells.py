"""Recurrent cells written as the notes' equations: RNN, GRU (full and simplified), LSTM.

A cell maps one time step: x<t> (B, I) and the previous state (B, H) to the next state. Shape
symbols (docs/notation.md): B batch, I input features, H hidden size.

The notes write every gate as one product with a concatenation, W[a<t−1>, x<t>] + b. Like
torch.nn, each cell keeps the two halves of W apart, ``weight_ih`` for x<t> and ``weight_hh`` for
a<t−1>, with one bias beside each (b = b_ih + b_hh), and stacks the gates' rows in torch's order,
so that a torch.nn state_dict loads unchanged. The input half W_ih x<t> + b_ih does not depend on
the state, so the ``*_step`` functions take it precomputed as ``gx`` (B, G·H): the RNN layer
computes it for all T steps in one product, as torch's CPU kernel does.
"""

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

State = tuple[Tensor, ...]  # (a<t>,) for RNN and GRU cells, (a<t>, c<t>) for the LSTM

NONLINEARITIES = ("tanh", "relu")
RESETS = ("after", "before")
_CHOICES = {"nonlinearity": NONLINEARITIES, "reset": RESETS}
_FLAGS = ("bias", "peepholes")


def check_size(owner: str, name: str, value: object) -> int:
    """``value`` as a positive int, else TypeError (not an int) or ValueError (≤ 0)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{owner}: expected {name} to be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{owner}: expected {name} > 0, got {value}")
    return value


def check_flag(owner: str, name: str, value: object) -> bool:
    """``value`` as a bool, else TypeError."""
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: expected {name} to be a bool, got {type(value).__name__}")
    return value


def check_options(owner: str, **options: object) -> None:
    """Check cell options by name: ``bias`` and ``peepholes`` are bools, ``nonlinearity`` and
    ``reset`` strings among their choices."""
    for name, value in options.items():
        if name in _FLAGS:
            check_flag(owner, name, value)
        elif not isinstance(value, str):
            raise TypeError(f"{owner}: expected {name} to be a str, got {type(value).__name__}")
        elif value not in _CHOICES[name]:
            raise ValueError(
                f"{owner}: unknown {name} {value!r}; expected one of {', '.join(_CHOICES[name])}"
            )


def parameter_shapes(
    gates: int, input_size: int, hidden_size: int, bias: bool, peepholes: bool = False
) -> dict[str, tuple[int, ...]]:
    """Names and shapes of one cell's parameters, in torch's order (peepholes last)."""
    shapes = {
        "weight_ih": (gates * hidden_size, input_size),
        "weight_hh": (gates * hidden_size, hidden_size),
    }
    if bias:
        shapes |= {"bias_ih": (gates * hidden_size,), "bias_hh": (gates * hidden_size,)}
    if peepholes:
        shapes["weight_ch"] = (3, hidden_size)
    return shapes


def _rows(w: Tensor | None, start: int, stop: int) -> Tensor | None:
    return None if w is None else w[start:stop]


def rnn_step(
    gx: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None, nonlinearity: str
) -> State:
    """a<t> = g(W_ih x<t> + b_ih + W_hh a<t−1> + b_hh); ``gx`` (B, H) is the first half."""
    (a_prev,) = state
    z = gx + F.linear(a_prev, weight_hh, bias_hh)
    return (torch.tanh(z) if nonlinearity == "tanh" else torch.relu(z),)


def gru_step(
    gx: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None, reset: str
) -> State:
    """One step of the full GRU (see :class:`GRUCell`); ``gx`` (B, 3H) = W_ih x<t> + b_ih."""
    (c_prev,) = state
    H = c_prev.shape[1]
    x_r, x_z, x_n = gx.chunk(3, 1)  # (B, H) each
    if reset == "after":  # one product W_hh c<t−1> serves all three gates
        h_r, h_z, h_n = F.linear(c_prev, weight_hh, bias_hh).chunk(3, 1)
    else:  # Γr must scale c<t−1> before the candidate's product
        h_r, h_z = F.linear(c_prev, weight_hh[: 2 * H], _rows(bias_hh, 0, 2 * H)).chunk(2, 1)
    gamma_r = torch.sigmoid(x_r + h_r)
    gamma_u = 1 - torch.sigmoid(x_z + h_z)  # torch's z is 1 − Γu
    if reset == "after":
        c_tilde = torch.tanh(x_n + gamma_r * h_n)
    else:
        c_tilde = torch.tanh(
            x_n + F.linear(gamma_r * c_prev, weight_hh[2 * H :], _rows(bias_hh, 2 * H, 3 * H))
        )
    c_t = gamma_u * c_tilde + (1 - gamma_u) * c_prev
    return (c_t,)


def simple_gru_step(gx: Tensor, state: State, weight_hh: Tensor, bias_hh: Tensor | None) -> State:
    """One step of the simplified GRU (see :class:`SimplifiedGRUCell`); ``gx`` (B, 2H)."""
    (c_prev,) = state
    x_z, x_n = gx.chunk(2, 1)
    h_z, h_n = F.linear(c_prev, weight_hh, bias_hh).chunk(2, 1)
    gamma_u = 1 - torch.sigmoid(x_z + h_z)  # as in GRUCell: the z rows give 1 − Γu
    c_tilde = torch.tanh(x_n + h_n)
    c_t = gamma_u * c_tilde + (1 - gamma_u) * c_prev
    return (c_t,)


def lstm_step(
    gx: Tensor,
    state: State,
    weight_hh: Tensor,
    bias_hh: Tensor | None,
    weight_ch: Tensor | None = None,
) -> State:
    """One step of the LSTM (see :class:`LSTMCell`); ``gx`` (B, 4H) = W_ih x<t> + b_ih."""
    a_prev, c_prev = state
    z_u, z_f, z_c, z_o = (gx + F.linear(a_prev, weight_hh, bias_hh)).chunk(4, 1)  # (B, H) each
    if weight_ch is not None:  # peepholes: Γu and Γf see c<t−1>
        z_u = z_u + weight_ch[0] * c_prev
        z_f = z_f + weight_ch[1] * c_prev
    gamma_u, gamma_f = torch.sigmoid(z_u), torch.sigmoid(z_f)
    c_tilde = torch.tanh(z_c)
    c_t = gamma_u * c_tilde + gamma_f * c_prev
    if weight_ch is not None:  # … and Γo sees c<t>
        z_o = z_o + weight_ch[2] * c_t
    gamma_o = torch.sigmoid(z_o)
    a_t = gamma_o * torch.tanh(c_t)
    return a_t, c_t


def reset_uniform(module: nn.Module, hidden_size: int) -> None:
    """Every parameter of ``module`` ~ U[−1/√H, 1/√H], as torch.nn initialises its RNNs."""
    limit = 1 / math.sqrt(hidden_size)
    for w in module.parameters():
        nn.init.uniform_(w, -limit, limit)


class _Cell(nn.Module):
    """Parameters, initialisation and input checks shared by the cells."""

    gates = 1  # H-sized blocks of rows in weight_ih and weight_hh

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, peepholes: bool = False
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_size(name, "input_size", input_size)
        self.hidden_size = check_size(name, "hidden_size", hidden_size)
        check_options(name, bias=bias, peepholes=peepholes)
        self.bias = bias
        shapes = parameter_shapes(self.gates, input_size, hidden_size, bias, peepholes)
        for param_name, shape in shapes.items():
            setattr(self, param_name, nn.Parameter(torch.empty(shape)))
        for param_name in ("bias_ih", "bias_hh", "weight_ch"):
            if param_name not in shapes:
                self.register_parameter(param_name, None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        reset_uniform(self, self.hidden_size)

    def step(self, gx: Tensor, state: State) -> State:
        """One step from its input half: gx = W_ih x<t> + b_ih (B, G·H), state (B, H) each →
        the new state; ``forward`` is ``step`` after that product. A caller whose x<t> has parts
        known before the loop adds their products for all t at once (the seq2seq decoder does)."""
        raise NotImplementedError

    def _input_gates(self, x: Tensor, states: Sequence[Tensor | None]) -> tuple[Tensor, State]:
        """Check x (B, I) and the states (B, H) (zeros when None); return W_ih x + b_ih and them."""
        name = type(self).__name__
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected input to be a Tensor, got {type(x).__name__}")
        if x.dim() != 2:
            raise ValueError(f"{name}: expected input of rank 2 (B, I), got rank {x.dim()}")
        B, features = x.shape
        if features != self.input_size:
            raise ValueError(
                f"{name}: expected input feature size {self.input_size}, got {features}"
            )
        shape = (B, self.hidden_size)
        checked = []
        for s in states:
            if s is None:
                s = x.new_zeros(shape)
            elif not isinstance(s, Tensor):
                raise TypeError(f"{name}: expected state to be a Tensor, got {type(s).__name__}")
            elif tuple(s.shape) != shape:
                raise ValueError(f"{name}: expected state of shape {shape}, got {tuple(s.shape)}")
            checked.append(s)
        return F.linear(x, self.weight_ih, self.bias_ih), tuple(checked)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, bias={self.bias}"


class RNNCell(_Cell):
    r"""Basic RNN cell (notes: "Simplified notation").

        a<t> = g(W_ih x<t> + b_ih + W_hh a<t−1> + b_hh),   g = tanh or relu

    The notes' a<t> = g(W_a[a<t−1>, x<t>] + b_a) with W_a = [W_hh | W_ih], b_a = b_ih + b_hh.

    Args:
        input_size: I, the size of x<t>.
        hidden_size: H, the size of a<t>.
        bias: learn b_ih and b_hh.
        nonlinearity: g, ``"tanh"`` or ``"relu"``.

    Inputs: x (B, I), a_prev (B, H) or None for zeros.
    Outputs: a (B, H).

    Parameters (torch.nn.RNNCell's): ``weight_ih`` W_ih (H, I), ``weight_hh`` W_hh (H, H),
    ``bias_ih`` (H,), ``bias_hh`` (H,).
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"
    ) -> None:
        check_options(type(self).__name__, nonlinearity=nonlinearity)
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, x: Tensor, a_prev: Tensor | None = None) -> Tensor:
        return self.step(*self._input_gates(x, [a_prev]))[0]

    def step(self, gx: Tensor, state: State) -> State:
        return rnn_step(gx, state, self.weight_hh, self.bias_hh, self.nonlinearity)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, nonlinearity={self.nonlinearity!r}"


class GRUCell(_Cell):
    r"""Gated recurrent unit, the full GRU (notes: "Now full GRU"; Cho et al. 2014, Eq. 5-8).

        Γr   = σ(W_ir x<t> + b_ir + W_hr c<t−1> + b_hr)           relevance (reset) gate
        Γu   = 1 − σ(W_iz x<t> + b_iz + W_hz c<t−1> + b_hz)       update gate
        c̃<t> = tanh(W_in x<t> + b_in + Γr * (W_hn c<t−1> + b_hn))  reset="after"
        c̃<t> = tanh(W_in x<t> + b_in + W_hn (Γr * c<t−1>) + b_hn)  reset="before"
        c<t> = Γu * c̃<t> + (1 − Γu) * c<t−1>,   a<t> = c<t>

    Note: the notes' gate Γu weights the candidate; torch (and Cho et al.) write
    h' = (1 − z) * n + z * h with z weighting the old state. The weights are torch's, so the z
    rows compute z = 1 − Γu and the state_dict of ``torch.nn.GRUCell`` loads unchanged.
    ``reset="before"`` is the notes' c̃<t> = tanh(W_c[Γr * c<t−1>, x<t>] + b_c) with
    W_c = [W_hn | W_in], b_c = b_in + b_hn (Cho et al.'s form); ``reset="after"`` moves Γr after
    the product, as torch and cuDNN do, and equals ``torch.nn.GRUCell``.

    Args:
        input_size: I, the size of x<t>.
        hidden_size: H, the size of c<t> = a<t>.
        bias: learn b_ih and b_hh.
        reset: where Γr applies, ``"after"`` (torch) or ``"before"`` (notes) W_hn's product.

    Inputs: x (B, I), a_prev = c<t−1> (B, H) or None for zeros.
    Outputs: a = c<t> (B, H).

    Parameters (torch.nn.GRUCell's): ``weight_ih`` (W_ir|W_iz|W_in) (3H, I),
    ``weight_hh`` (W_hr|W_hz|W_hn) (3H, H), ``bias_ih`` (b_ir|b_iz|b_in) (3H,),
    ``bias_hh`` (b_hr|b_hz|b_hn) (3H,).
    """

    gates = 3

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, reset: str = "after"
    ) -> None:
        check_options(type(self).__name__, reset=reset)
        super().__init__(input_size, hidden_size, bias)
        self.reset = reset

    def forward(self, x: Tensor, a_prev: Tensor | None = None) -> Tensor:
        return self.step(*self._input_gates(x, [a_prev]))[0]

    def step(self, gx: Tensor, state: State) -> State:
        return gru_step(gx, state, self.weight_hh, self.bias_hh, self.reset)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, reset={self.reset!r}"


class SimplifiedGRUCell(_Cell):
    r"""The notes' simplified GRU: an update gate and a candidate, no relevance gate.

        Γu   = 1 − σ(W_iz x<t> + b_iz + W_hz c<t−1> + b_hz)     update gate
        c̃<t> = tanh(W_in x<t> + b_in + W_hn c<t−1> + b_hn)
        c<t> = Γu * c̃<t> + (1 − Γu) * c<t−1>,   a<t> = c<t>

    Note: the rows are :class:`GRUCell`'s last two blocks with the same convention (z = 1 − Γu),
    so this cell is a GRUCell whose Γr is 1. The notes' Γu = σ(W_u[c<t−1>, x<t>] + b_u) is
    W_u = −[W_hz | W_iz], b_u = −(b_iz + b_hz).

    Args:
        input_size: I, the size of x<t>.
        hidden_size: H, the size of c<t> = a<t>.
        bias: learn b_ih and b_hh.

    Inputs: x (B, I), a_prev = c<t−1> (B, H) or None for zeros.
    Outputs: a = c<t> (B, H).

    Parameters: ``weight_ih`` (W_iz|W_in) (2H, I), ``weight_hh`` (W_hz|W_hn) (2H, H),
    ``bias_ih`` (b_iz|b_in) (2H,), ``bias_hh`` (b_hz|b_hn) (2H,).
    """

    gates = 2

    # its own signature, without peepholes: the RNN layer reads a cell's options from it
    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__(input_size, hidden_size, bias)

    def forward(self, x: Tensor, a_prev: Tensor | None = None) -> Tensor:
        return self.step(*self._input_gates(x, [a_prev]))[0]

    def step(self, gx: Tensor, state: State) -> State:
        return simple_gru_step(gx, state, self.weight_hh, self.bias_hh)


class LSTMCell(_Cell):
    r"""Long short-term memory cell (notes: "LSTM"), optionally with peephole connections.

        Γu   = σ(W_ii x<t> + b_ii + W_hi a<t−1> + b_hi [+ w_ci * c<t−1>])   update (input) gate
        Γf   = σ(W_if x<t> + b_if + W_hf a<t−1> + b_hf [+ w_cf * c<t−1>])   forget gate
        c̃<t> = tanh(W_ig x<t> + b_ig + W_hg a<t−1> + b_hg)
        c<t> = Γu * c̃<t> + Γf * c<t−1>
        Γo   = σ(W_io x<t> + b_io + W_ho a<t−1> + b_ho [+ w_co * c<t>])     output gate
        a<t> = Γo * tanh(c<t>)

    The notes' update gate Γu is torch's input gate i, c̃<t> is torch's g. The bracketed terms
    are the peephole connections (Gers & Schmidhuber 2000; the notes: "sometimes people put
    c<t−1> also"), diagonal weights present only when ``peepholes=True``; torch has none, so
    without peepholes the cell equals ``torch.nn.LSTMCell``.

    Args:
        input_size: I, the size of x<t>.
        hidden_size: H, the size of a<t> and c<t>.
        bias: learn b_ih and b_hh.
        peepholes: add the peephole weights ``weight_ch``.

    Inputs: x (B, I), state = (a_prev (B, H), c_prev (B, H)) or None for zeros.
    Outputs: (a (B, H), c (B, H)).

    Parameters (torch.nn.LSTMCell's): ``weight_ih`` (W_ii|W_if|W_ig|W_io) (4H, I),
    ``weight_hh`` (W_hi|W_hf|W_hg|W_ho) (4H, H), ``bias_ih`` (4H,), ``bias_hh`` (4H,);
    with peepholes ``weight_ch`` (w_ci|w_cf|w_co) (3, H).
    """

    gates = 4

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, peepholes: bool = False
    ) -> None:
        super().__init__(input_size, hidden_size, bias, peepholes)
        self.peepholes = peepholes

    def forward(
        self, x: Tensor, state: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        if state is not None and (not isinstance(state, tuple | list) or len(state) != 2):
            raise TypeError(
                "LSTMCell: expected state to be a pair (a_prev, c_prev), "
                f"got {type(state).__name__}"
            )
        a_t, c_t = self.step(*self._input_gates(x, (None, None) if state is None else state))
        return a_t, c_t

    def step(self, gx: Tensor, state: State) -> State:
        return lstm_step(gx, state, self.weight_hh, self.bias_hh, self.weight_ch)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, peepholes={self.peepholes}"
