import math

import pytest
import torch

from seqkit.core import optim

STEPS = 20


def _problem() -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """A small least-squares problem: X (8, 3), Y (8, 2), parameters W (2, 3), b (2,)."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(8, 3, dtype=torch.float64, generator=g)
    Y = torch.randn(8, 2, dtype=torch.float64, generator=g)
    W = torch.randn(2, 3, dtype=torch.float64, generator=g).requires_grad_()
    b = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    return X, Y, [W, b]


def _trajectory(make_optimizer, steps: int = STEPS) -> list[torch.Tensor]:
    """Parameters (flattened) after each step of ``make_optimizer(params)`` on the problem."""
    X, Y, params = _problem()
    opt = make_optimizer(params)
    W, b = params
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        ((X @ W.T + b - Y) ** 2).mean().backward()
        opt.step()
        trajectory.append(torch.cat([p.detach().flatten() for p in params]))
    return trajectory


# (id, seqkit optimiser, the torch.optim optimiser its docstring says it equals)
ALPHA, BETA = 0.1, 0.9
EQUIVALENT = [
    ("sgd", lambda p: optim.SGD(p, lr=ALPHA), lambda p: torch.optim.SGD(p, lr=ALPHA)),
    (
        "sgd_weight_decay",
        lambda p: optim.SGD(p, lr=ALPHA, weight_decay=0.05),
        lambda p: torch.optim.SGD(p, lr=ALPHA, weight_decay=0.05),
    ),
    (
        # EMA momentum v = βv + (1 − β)dW is torch's b = βb + dW scaled by (1 − β)
        "momentum",
        lambda p: optim.Momentum(p, lr=ALPHA, beta=BETA),
        lambda p: torch.optim.SGD(p, lr=ALPHA * (1 - BETA), momentum=BETA, dampening=0),
    ),
    (
        "momentum_weight_decay",
        lambda p: optim.Momentum(p, lr=ALPHA, beta=BETA, weight_decay=0.05),
        lambda p: torch.optim.SGD(p, lr=ALPHA * (1 - BETA), momentum=BETA, weight_decay=0.05),
    ),
    (
        "nesterov",
        lambda p: optim.Nesterov(p, lr=ALPHA, beta=BETA),
        lambda p: torch.optim.SGD(p, lr=ALPHA * (1 - BETA), momentum=BETA, nesterov=True),
    ),
    ("adagrad", lambda p: optim.Adagrad(p, lr=ALPHA), lambda p: torch.optim.Adagrad(p, lr=ALPHA)),
    (
        "adagrad_initial_accumulator",
        lambda p: optim.Adagrad(p, lr=ALPHA, initial_accumulator=0.1, eps=1e-7),
        lambda p: torch.optim.Adagrad(p, lr=ALPHA, initial_accumulator_value=0.1, eps=1e-7),
    ),
    (
        "rmsprop",
        lambda p: optim.RMSprop(p, lr=0.01, beta=BETA),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=BETA),
    ),
    (
        "rmsprop_large_eps",  # ε outside the root on both sides, visible with a large ε
        lambda p: optim.RMSprop(p, lr=0.01, beta=0.99, eps=0.3),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=0.3),
    ),
    ("adam", lambda p: optim.Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01)),
    (
        "adam_weight_decay",
        lambda p: optim.Adam(p, lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1),
        lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    ),
]


@pytest.mark.parametrize(("name", "ours", "oracle"), EQUIVALENT, ids=[e[0] for e in EQUIVALENT])
def test_agrees_with_torch_step_by_step(name, ours, oracle):
    ours_path, torch_path = _trajectory(ours), _trajectory(oracle)
    assert not torch.equal(ours_path[0], ours_path[-1])  # it moved
    for step, (a, b) in enumerate(zip(ours_path, torch_path, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12, msg=f"{name}, step {step + 1}")


def test_nesterov_is_the_notes_look_ahead_after_the_change_of_variables():
    # notes: w_la = w − β·u;  u = β·u + η·∇J(w_la);  w := w − u, with η = α(1 − β);
    # the optimiser holds the look-ahead point w̃ = w − β·u (u = α·v in seqkit's EMA form)
    A = torch.tensor([[3.0, 0.5], [0.5, 1.0]], dtype=torch.float64)
    c = torch.tensor([1.0, -2.0], dtype=torch.float64)

    def grad(w: torch.Tensor) -> torch.Tensor:  # J(w) = ½ wᵀAw − cᵀw
        return A @ w - c

    eta = ALPHA * (1 - BETA)
    w = torch.tensor([2.0, 2.0], dtype=torch.float64)
    u = torch.zeros(2, dtype=torch.float64)
    p = w.clone().requires_grad_()
    opt = optim.Nesterov([p], lr=ALPHA, beta=BETA)
    for _ in range(STEPS):
        w_la = w - BETA * u
        u = BETA * u + eta * grad(w_la)
        w = w - u
        opt.zero_grad()
        (0.5 * p @ A @ p - c @ p).backward()
        opt.step()
        torch.testing.assert_close(p.detach(), w - BETA * u, rtol=1e-12, atol=1e-14)


def test_adam_bias_correction_makes_the_first_step_alpha_sized():
    # t = 1: v_corr = dW, s_corr = dW², so W moves by α·dW/(|dW| + ε) ≈ α·sign(dW)
    p = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    opt = optim.Adam([p], lr=0.01)
    (p * torch.tensor([5.0, -0.001, 300.0], dtype=torch.float64)).sum().backward()
    opt.step()
    torch.testing.assert_close(
        p.detach(), torch.tensor([0.99, -1.99, 2.99], dtype=torch.float64), rtol=0, atol=1e-7
    )


def test_rmsprop_puts_eps_outside_the_root_unlike_the_notes():
    d_w, lr, beta, eps = 0.2, 0.1, 0.9, 0.5
    p = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
    opt = optim.RMSprop([p], lr=lr, beta=beta, eps=eps)
    (p * d_w).sum().backward()
    opt.step()
    S = (1 - beta) * d_w**2
    assert p.item() == pytest.approx(1 - lr * d_w / (math.sqrt(S) + eps), rel=1e-14)
    assert p.item() != pytest.approx(1 - lr * d_w / math.sqrt(S + eps), rel=1e-3)  # the notes' form


def test_defaults_are_the_notes():
    p = [torch.zeros(1, requires_grad=True)]
    adam = optim.Adam(p).defaults
    assert (adam["beta1"], adam["beta2"], adam["eps"]) == (0.9, 0.999, 1e-8)
    assert optim.Momentum(p).defaults["beta"] == 0.9


def test_resume_from_state_dict_equals_an_uninterrupted_run():
    X, Y, params = _problem()
    W, b = params

    def run(opt, steps):
        for _ in range(steps):
            opt.zero_grad()
            ((X @ W.T + b - Y) ** 2).mean().backward()
            opt.step()

    first = optim.Adam(params, lr=0.01)
    run(first, 5)
    state = first.state_dict()
    resumed = optim.Adam(params, lr=0.01)
    resumed.load_state_dict(state)
    run(resumed, 5)
    resumed_params = [p.detach().clone() for p in params]
    uninterrupted = _trajectory(lambda p: optim.Adam(p, lr=0.01), steps=10)[-1]
    torch.testing.assert_close(torch.cat([p.flatten() for p in resumed_params]), uninterrupted)


def test_step_with_closure_and_parameters_without_gradient():
    used = torch.tensor([1.0], requires_grad=True)
    unused = torch.tensor([5.0], requires_grad=True)
    opt = optim.Momentum([used, unused], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (used**2).sum()
        loss.backward()
        return loss

    assert opt.step(closure).item() == 1.0
    assert used.item() != 1.0 and unused.item() == 5.0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: optim.SGD(p, lr=-1.0), r"SGD: expected lr >= 0, got -1.0"),
        (lambda p: optim.Adam(p, beta2=1.0), r"Adam: expected 0 <= beta2 < 1, got 1.0"),
        (lambda p: optim.Momentum(p, beta=-0.1), r"Momentum: expected 0 <= beta < 1, got -0.1"),
        (lambda p: optim.RMSprop(p, eps=-1e-8), r"RMSprop: expected eps >= 0, got -1e-08"),
        (
            lambda p: optim.Adagrad(p, weight_decay=-1),
            r"Adagrad: expected weight_decay >= 0, got -1",
        ),
    ],
)
def test_bad_hyperparameters_name_the_optimiser(make, message):
    with pytest.raises(ValueError, match=message):
        make([torch.zeros(1, requires_grad=True)])


# make_optimizer: torch's kernels wherever their rule is the notes' rule, else seqkit's class.

RUNS_ON = {  # name -> (optimizer class, its kernel on CPU float parameters)
    "sgd": (torch.optim.SGD, "fused"),
    "momentum": (optim.TorchMomentum, "fused"),
    "nesterov": (optim.Nesterov, None),
    "adagrad": (torch.optim.Adagrad, "fused"),
    "rmsprop": (torch.optim.RMSprop, "foreach"),
    "adam": (torch.optim.Adam, "fused"),
}

OPTIONS = [  # (name, seqkit options) with weight decay and non-default values
    ("sgd", {"lr": 0.1, "weight_decay": 0.05}),
    ("momentum", {"lr": 0.1, "beta": 0.8, "weight_decay": 0.05}),
    ("nesterov", {"lr": 0.1, "beta": 0.8, "weight_decay": 0.05}),
    ("adagrad", {"lr": 0.1, "eps": 1e-7, "initial_accumulator": 0.1, "weight_decay": 0.05}),
    ("rmsprop", {"lr": 0.01, "beta": 0.95, "eps": 0.3, "weight_decay": 0.05}),
    ("adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6, "weight_decay": 0.1}),
    ("adam", {"lr": 0.01}),  # the notes' defaults β1 0.9, β2 0.999, ε 1e-8
]
OPTION_IDS = [name for name, _ in OPTIONS[:-1]] + ["adam_defaults"]


def _model() -> torch.nn.Module:
    """A small model: Linear(4, 8) → tanh → Linear(8, 3) in float64, 67 parameters."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3)
    ).double()


def _fit(opt, model: torch.nn.Module, steps: int) -> list[torch.Tensor]:
    """Parameters (flattened) after each of ``steps`` steps of ``opt`` on a fixed regression."""
    g = torch.Generator().manual_seed(1)
    X = torch.randn(16, 4, dtype=torch.float64, generator=g)
    Y = torch.randn(16, 3, dtype=torch.float64, generator=g)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        ((model(X) - Y) ** 2).mean().backward()
        opt.step()
        trajectory.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    return trajectory


def _model_trajectory(make_optimizer, steps: int = 6) -> list[torch.Tensor]:
    model = _model()
    return _fit(make_optimizer(model), model, steps)


@pytest.mark.parametrize("kernel", ["fused", "foreach"])
@pytest.mark.parametrize(("name", "options"), OPTIONS, ids=OPTION_IDS)
def test_make_optimizer_follows_the_notes_rule_step_by_step(name, options, kernel, monkeypatch):
    if kernel == "foreach":  # a device without fused kernels
        monkeypatch.setattr(optim, "_FUSED_DEVICES", ())
    made = _model_trajectory(lambda m: optim.make_optimizer(name, m.parameters(), **options))
    notes = _model_trajectory(lambda m: optim.OPTIMIZERS[name](m.parameters(), **options))
    assert not torch.equal(notes[0], notes[-1])  # it moved
    for step, (a, b) in enumerate(zip(made, notes, strict=True)):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12, msg=f"{name}, step {step + 1}")


@pytest.mark.parametrize("name", list(RUNS_ON))
def test_which_names_run_on_torch_kernels(name, monkeypatch):
    cls, kernel = RUNS_ON[name]
    opt = optim.make_optimizer(name, _model().parameters(), lr=0.1)
    assert type(opt) is cls
    group = opt.param_groups[0]
    assert group["lr"] == 0.1  # α, the value the trainer logs and the schedules scale
    if kernel is None:
        assert "fused" not in group and "foreach" not in group
    else:
        assert group["fused" if kernel == "fused" else "foreach"] is True
        monkeypatch.setattr(optim, "_FUSED_DEVICES", ())
        group = optim.make_optimizer(name, _model().parameters(), lr=0.1).param_groups[0]
        assert group["foreach"] is True and not group.get("fused")


def test_torch_sgd_alone_starts_its_momentum_buffer_at_dw_and_refuses_nesterov_dampening():
    # why momentum runs on TorchMomentum and nesterov on seqkit's class
    d_w, alpha, beta = 2.0, 0.1, 0.9
    moved = {}
    for name, make in [
        ("notes", lambda p: optim.Momentum(p, lr=alpha, beta=beta)),
        ("torch", lambda p: torch.optim.SGD(p, lr=alpha, momentum=beta, dampening=beta)),
        ("TorchMomentum", lambda p: optim.TorchMomentum(p, lr=alpha, momentum=beta,
                                                         dampening=beta)),
    ]:
        p = torch.tensor([1.0], dtype=torch.float64, requires_grad=True)
        opt = make([p])
        (p * d_w).sum().backward()
        opt.step()
        moved[name] = 1.0 - p.item()
    assert moved["notes"] == pytest.approx(alpha * (1 - beta) * d_w, rel=1e-14)
    assert moved["torch"] == pytest.approx(alpha * d_w, rel=1e-14)
    assert moved["TorchMomentum"] == pytest.approx(moved["notes"], rel=1e-14)
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero damp"):
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], momentum=beta, dampening=beta,
                        nesterov=True)


@pytest.mark.parametrize("name", list(RUNS_ON))
def test_state_dict_loads_with_weights_only_and_resumes_the_uninterrupted_run(name, tmp_path):
    options = {"lr": 0.05, "weight_decay": 0.01}
    model = _model()
    uninterrupted = _fit(optim.make_optimizer(name, model.parameters(), **options), model, 8)
    model = _model()
    first = optim.make_optimizer(name, model.parameters(), **options)
    _fit(first, model, 5)
    torch.save(first.state_dict(), tmp_path / "optimizer.pt")
    resumed = optim.make_optimizer(name, model.parameters(), **options)
    resumed.load_state_dict(torch.load(tmp_path / "optimizer.pt", weights_only=True))
    resumed_path = _fit(resumed, model, 3)
    torch.testing.assert_close(resumed_path[-1], uninterrupted[-1], rtol=0, atol=0)


def test_make_optimizer_translates_parameter_groups():
    # the notes' weight decay on weights W only, not on biases b; Adam's β2 only for the first
    def groups(model):
        weights = [p for n, p in model.named_parameters() if n.endswith("weight")]
        biases = [p for n, p in model.named_parameters() if n.endswith("bias")]
        return [{"params": weights, "weight_decay": 0.1, "beta2": 0.9}, {"params": biases}]

    made = _model_trajectory(lambda m: optim.make_optimizer("adam", groups(m), lr=0.01))
    notes = _model_trajectory(lambda m: optim.Adam(groups(m), lr=0.01))
    torch.testing.assert_close(torch.stack(made), torch.stack(notes), rtol=1e-12, atol=1e-12)
    opt = optim.make_optimizer("adam", groups(_model()), lr=0.01)
    assert [g["betas"] for g in opt.param_groups] == [(0.9, 0.9), (0.9, 0.999)]
    assert [g["weight_decay"] for g in opt.param_groups] == [0.1, 0.0]


@pytest.mark.parametrize(
    ("name", "options", "error", "message"),
    [
        ("adam", {"betas": (0.9, 0.98)}, TypeError,
         r"make_optimizer: unknown option 'betas' for 'adam'; "
         r"expected some of lr, beta1, beta2, eps, weight_decay"),
        ("rmsprop", {"alpha": 0.9}, TypeError, r"unknown option 'alpha' for 'rmsprop'"),
        ("adam", {"beta2": 1.0}, ValueError, r"Adam: expected 0 <= beta2 < 1, got 1.0"),
        ("momentum", {"lr": -1.0}, ValueError, r"Momentum: expected lr >= 0, got -1.0"),
        ("adamw", {}, ValueError, r"unknown optimizer 'adamw'; choose from \['sgd', "),
    ],
)
def test_make_optimizer_errors_name_the_option(name, options, error, message):
    with pytest.raises(error, match=message):
        optim.make_optimizer(name, _model().parameters(), **options)


def test_a_bad_option_inside_a_parameter_group_is_refused():
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"Adagrad: expected initial_accumulator >= 0, got -1"):
        optim.make_optimizer("adagrad", [{"params": [w], "initial_accumulator": -1}])
