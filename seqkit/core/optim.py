"""Optimisers as the notes write them, and ``make_optimizer``, which runs them on torch's kernels.

Notation: W a parameter, dW its gradient on the current mini-batch, α the learning rate (``lr``),
t the step counter from 1. Every optimiser takes ``weight_decay`` λ' ≥ 0 and then uses
dW + λ'·W in place of dW: that is the gradient of the L2 penalty (λ/2m)‖W‖²_F with λ' = λ/m
(``seqkit.core.losses.l2_penalty``), the same coupled decay as torch's ``weight_decay``.

The classes (``OPTIMIZERS``) are the specification: each ``_update`` is its docstring's equations.
:func:`make_optimizer` returns a ``torch.optim`` optimiser wherever torch's update rule equals the
notes' rule exactly (checked step by step in float64 by the tests), with ``fused=True`` where torch
has a fused kernel for the parameters' device, else ``foreach=True``; otherwise the notes' class:

=========  ======================================  ==========================================
name       runs on                                 seqkit option → torch option
=========  ======================================  ==========================================
sgd        torch.optim.SGD (fused)                 lr, weight_decay
momentum   :class:`TorchMomentum` (SGD, fused)     beta → momentum = dampening = β; v_0 = 0
nesterov   seqkit's :class:`Nesterov`              (torch's needs dampening 0: see below)
adagrad    torch.optim.Adagrad (fused)             initial_accumulator → initial_accumulator_value
rmsprop    torch.optim.RMSprop (foreach)           beta → alpha
adam       torch.optim.Adam (fused)                beta1, beta2 → betas = (β1, β2)
=========  ======================================  ==========================================

``lr``, ``eps`` and ``weight_decay`` keep their names; Adagrad runs with torch's lr_decay = 0,
RMSprop with momentum = 0 and centered = False. ε sits where the notes' classes put it (outside
the root, after Adam's bias correction) in torch too.

Note:
    torch's SGD starts its momentum buffer at dW on the first step (b = dW, then
    b = β·b + (1 − dampening)·dW), so ``dampening=β`` alone would make the first step α·dW
    instead of the notes' α(1 − β)·dW; :class:`TorchMomentum` starts the buffer at 0, which makes
    every step the notes'. Nesterov would need torch's ``nesterov=True``, which refuses a nonzero
    dampening; the exact map ``lr = α(1 − β)`` would change what ``param_groups[i]["lr"]`` means
    (the trainer logs it, schedules scale it), so ``nesterov`` stays on seqkit's class.
"""

import inspect
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import torch
from torch import Tensor
from torch.optim import Optimizer


def _check_hyperparameters(who: str, values: dict[str, float]) -> None:
    for name, value in values.items():
        if name.startswith("beta") and not 0.0 <= value < 1.0:
            raise ValueError(f"{who}: expected 0 <= {name} < 1, got {value}")
        if value < 0.0:
            raise ValueError(f"{who}: expected {name} >= 0, got {value}")


class _Rule(Optimizer):
    """The step loop shared by the optimisers; each subclass writes its rule in ``_update``."""

    def __init__(self, params: Iterable[Any], **defaults: float) -> None:
        _check_hyperparameters(type(self).__name__, defaults)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for w in group["params"]:
                if w.grad is None:
                    continue
                d_w = w.grad
                if group["weight_decay"]:
                    d_w = d_w + group["weight_decay"] * w
                self._update(w, d_w, self.state[w], group)
        return loss

    def _update(self, w: Tensor, d_w: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError


class SGD(_Rule):
    """Gradient descent: W := W − α·dW."""

    def __init__(self, params: Iterable[Any], lr: float = 0.01, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, weight_decay=weight_decay)

    def _update(self, w: Tensor, d_w: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        w.add_(d_w, alpha=-group["lr"])


class Momentum(_Rule):
    """Gradient descent with momentum, in the notes' EMA form:

        v = β·v + (1 − β)·dW,   W := W − α·v          (v starts at 0)

    Note:
        torch's SGD accumulates b = β·b + dW instead, so v = (1 − β)·b and
        ``Momentum(lr=α, beta=β)`` equals ``torch.optim.SGD(lr=α(1 − β), momentum=β, dampening=0)``.
        ``make_optimizer("momentum")`` runs it as :class:`TorchMomentum`, which keeps ``lr = α``.
    """

    def __init__(
        self, params: Iterable[Any], lr: float = 0.01, beta: float = 0.9, weight_decay: float = 0.0
    ) -> None:
        super().__init__(params, lr=lr, beta=beta, weight_decay=weight_decay)

    def _velocity(self, d_w: Tensor, state: dict[str, Any], beta: float) -> Tensor:
        if not state:
            state["v"] = torch.zeros_like(d_w)
        return state["v"].mul_(beta).add_(d_w, alpha=1 - beta)

    def _update(self, w: Tensor, d_w: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        w.add_(self._velocity(d_w, state, group["beta"]), alpha=-group["lr"])


class Nesterov(Momentum):
    """Nesterov accelerated gradient: momentum with the gradient taken at the look-ahead point.

    The notes' look-ahead form, in the EMA form of :class:`Momentum`:

        W_la = W − α·β·v,   v = β·v + (1 − β)·∇J(W_la),   W := W − α·v

    An optimiser only sees the gradient at the parameters it holds, so the parameters it holds are
    the look-ahead point W̃ = W − α·β·v (change of variables; W̃ = W at the start, when v = 0).
    Substituting W = W̃ + α·β·v_old into the three lines gives the update actually run:

        v = β·v + (1 − β)·dW̃,   W̃ := W̃ − α·(β·v + (1 − β)·dW̃)

    Note:
        With b = v/(1 − β) this is torch's ``nesterov=True`` rule b = β·b + dW̃,
        W̃ := W̃ − lr·(dW̃ + β·b), so ``Nesterov(lr=α, beta=β)`` equals
        ``torch.optim.SGD(lr=α(1 − β), momentum=β, nesterov=True)``; and the notes' own form
        (v_t = β·v_{t−1} + η·∇J(W_la), W := W − v_t) is this with η = α(1 − β).
    """

    def _update(self, w: Tensor, d_w: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta = group["beta"]
        v = self._velocity(d_w, state, beta)
        w.add_(beta * v + (1 - beta) * d_w, alpha=-group["lr"])


class Adagrad(_Rule):
    """Adagrad: each weight's step shrinks with the sum of its squared gradients.

        G = G + dW²,   W := W − α·dW / (√G + ε)        (G starts at ``initial_accumulator``)

    Note:
        Same rule, ε placement (outside the root) and defaults (G_0 = 0, ε = 1e-10) as
        ``torch.optim.Adagrad(lr, eps=ε, initial_accumulator_value=G_0)`` with lr_decay = 0;
        Keras starts from G_0 = 0.1 instead.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.01,
        eps: float = 1e-10,
        initial_accumulator: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            eps=eps,
            initial_accumulator=initial_accumulator,
            weight_decay=weight_decay,
        )

    def _update(self, w: Tensor, d_w: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["G"] = torch.full_like(w, group["initial_accumulator"])
        G = state["G"].addcmul_(d_w, d_w)
        w.addcdiv_(d_w, G.sqrt() + group["eps"], value=-group["lr"])


class RMSprop(_Rule):
    """RMSprop: divide by a running root mean square of the gradient.

        S = β·S + (1 − β)·dW²,   W := W − α·dW / (√S + ε)        (S starts at 0)

    Note:
        The notes write √(S + ε); seqkit puts ε outside the root, as Adam and
        torch.optim.RMSprop do (ε then bounds the step by α·|dW|/ε). ``RMSprop(lr, beta=β, eps)``
        equals ``torch.optim.RMSprop(lr, alpha=β, eps=eps)``; β defaults to 0.9 (Keras, Hinton),
        torch's alpha to 0.99.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.001,
        beta: float = 0.9,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr=lr, beta=beta, eps=eps, weight_decay=weight_decay)

    def _update(self, w: Tensor, d_w: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state["S"] = torch.zeros_like(w)
        beta = group["beta"]
        S = state["S"].mul_(beta).addcmul_(d_w, d_w, value=1 - beta)
        w.addcdiv_(d_w, S.sqrt() + group["eps"], value=-group["lr"])


class Adam(_Rule):
    """Adam (adaptive moment estimation): momentum and RMSprop with bias correction.

        v = β1·v + (1 − β1)·dW,          s = β2·s + (1 − β2)·dW²
        v_corr = v / (1 − β1^t),          s_corr = s / (1 − β2^t)
        W := W − α·v_corr / (√s_corr + ε)

    β1 = 0.9, β2 = 0.999, ε = 1e-8 as the notes recommend; α needs tuning. Same rule and ε
    placement as ``torch.optim.Adam(lr, betas=(β1, β2), eps)``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(
            params, lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay
        )

    def _update(self, w: Tensor, d_w: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state.update(t=0, v=torch.zeros_like(w), s=torch.zeros_like(w))
        beta1, beta2 = group["beta1"], group["beta2"]
        state["t"] += 1
        t = state["t"]
        v = state["v"].mul_(beta1).add_(d_w, alpha=1 - beta1)
        s = state["s"].mul_(beta2).addcmul_(d_w, d_w, value=1 - beta2)
        v_corr = v / (1 - beta1**t)
        s_corr = s / (1 - beta2**t)
        w.addcdiv_(v_corr, s_corr.sqrt() + group["eps"], value=-group["lr"])


OPTIMIZERS: dict[str, type[_Rule]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
}


class TorchMomentum(torch.optim.SGD):
    """torch's SGD with ``momentum = dampening = β`` and the buffer started at 0: the notes' rule

        v = β·v + (1 − β)·dW,   W := W − α·v          (v starts at 0)

    on torch's fused/foreach kernels. torch.optim.SGD itself starts the buffer at dW on the first
    step; a buffer that exists already is updated by torch as b = β·b + (1 − β)·dW, so zeros put
    in place of it make torch's steps :class:`Momentum`'s. ``lr`` stays α.
    """

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        super().add_param_group(param_group)
        for w in self.param_groups[-1]["params"]:
            self.state[w]["momentum_buffer"] = torch.zeros_like(w)


class TorchEquivalent(NamedTuple):
    """The torch.optim optimiser whose rule equals a seqkit class's, and how options translate."""

    optimizer: type[Optimizer]
    options: Callable[[dict[str, float]], dict[str, Any]]  # seqkit's options → torch's keywords
    has_fused: bool  # torch has a fused kernel for it (else it runs with foreach=True)


TORCH_EQUIVALENTS: dict[str, TorchEquivalent] = {
    "sgd": TorchEquivalent(
        torch.optim.SGD, lambda o: {"lr": o["lr"], "weight_decay": o["weight_decay"]}, True
    ),
    "momentum": TorchEquivalent(
        TorchMomentum,
        lambda o: {"lr": o["lr"], "momentum": o["beta"], "dampening": o["beta"],
                   "weight_decay": o["weight_decay"]},
        True,
    ),
    "adagrad": TorchEquivalent(
        torch.optim.Adagrad,
        lambda o: {"lr": o["lr"], "eps": o["eps"], "weight_decay": o["weight_decay"],
                   "initial_accumulator_value": o["initial_accumulator"]},
        True,
    ),
    "rmsprop": TorchEquivalent(
        torch.optim.RMSprop,
        lambda o: {"lr": o["lr"], "alpha": o["beta"], "eps": o["eps"],
                   "weight_decay": o["weight_decay"]},
        False,
    ),
    "adam": TorchEquivalent(
        torch.optim.Adam,
        lambda o: {"lr": o["lr"], "betas": (o["beta1"], o["beta2"]), "eps": o["eps"],
                   "weight_decay": o["weight_decay"]},
        True,
    ),
}

# Device types with torch's fused optimiser kernels (torch.optim docs: "CPU and CUDA").
_FUSED_DEVICES = ("cpu", "cuda")


def _resolve(name: str, options: dict[str, float]) -> dict[str, float]:
    """``options`` completed with the defaults of the notes' class and checked as it checks them."""
    rule = OPTIMIZERS[name]
    parameters = inspect.signature(rule).parameters
    valid = [key for key in parameters if key != "params"]
    for key in options:
        if key not in valid:
            raise TypeError(
                f"make_optimizer: unknown option {key!r} for {name!r}; "
                f"expected some of {', '.join(valid)}"
            )
    resolved = {key: parameters[key].default for key in valid} | options
    _check_hyperparameters(rule.__name__, resolved)
    return resolved


def _torch_optimizer(
    name: str, equivalent: TorchEquivalent, params: Iterable[Any], options: dict[str, float]
) -> Optimizer:
    """``equivalent`` over ``params``; a parameter group's own seqkit options are translated too."""
    groups = [
        {"params": g["params"], **equivalent.options(_resolve(name, options | _own_options(g)))}
        if isinstance(g, dict) else g
        for g in params
    ]
    tensors = [w for g in groups for w in (g["params"] if isinstance(g, dict) else [g])]
    fused = equivalent.has_fused and all(
        isinstance(w, Tensor) and w.is_floating_point() and w.device.type in _FUSED_DEVICES
        for w in tensors
    )
    kernel = {"fused": True} if fused else {"foreach": True}
    return equivalent.optimizer(groups, **equivalent.options(options), **kernel)


def _own_options(group: dict[str, Any]) -> dict[str, float]:
    return {key: value for key, value in group.items() if key != "params"}


def make_optimizer(name: str, params: Iterable[Any], **options: float) -> Optimizer:
    """The optimiser called ``name`` (a key of ``OPTIMIZERS``) over ``params``: the notes' rule.

    ``options`` are the keyword arguments of the notes' class (``lr``, ``beta1``, ``beta2``,
    ``beta``, ``eps``, ``initial_accumulator``, ``weight_decay``), also inside parameter groups.
    The result is torch's optimiser where ``TORCH_EQUIVALENTS`` has one (see the table above),
    else the class itself. Example: ``make_optimizer("adam", model.parameters(), lr=3e-3,
    beta2=0.98)`` is ``torch.optim.Adam(params, lr=3e-3, betas=(0.9, 0.98), fused=True)`` on CPU.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer: unknown optimizer {name!r}; choose from {list(OPTIMIZERS)}")
    resolved = _resolve(name, options)
    equivalent = TORCH_EQUIVALENTS.get(name)
    if equivalent is None:
        return OPTIMIZERS[name](params, **resolved)
    return _torch_optimizer(name, equivalent, params, resolved)
