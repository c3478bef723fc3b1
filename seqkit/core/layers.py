"""Layers as the notes write them: dense, embedding, inverted dropout, batch norm, conv, pooling.

Shapes use docs/notation.md: B batch, T time, C channels (features), E embedding, V vocabulary,
N any leading dimensions.
"""

import torch
import torch.nn.functional as F
from torch import Generator, Tensor, nn

from seqkit.core.init import initialise_


class Dense(nn.Module):
    """Fully connected layer: z = W x + b, applied to the last dimension.

    Args:
        in_features: size of x.
        out_features: size of z.
        bias: learn b (else z = W x).
        init: initialiser of W by name (see ``seqkit.core.init.INITIALISERS``); b starts at 0.
        generator: random source for the initialiser.

    Shapes: x (N*, in_features) → z (N*, out_features); ``weight`` W (out, in), ``bias`` b (out,).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: str = "xavier_uniform",
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        initialise_(self.weight, init, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.weight.shape[1]:
            raise ValueError(
                f"Dense: expected input with last dimension {self.weight.shape[1]}, "
                f"got {x.shape[-1]}"
            )
        z = x @ self.weight.T  # (N*, out)
        return z if self.bias is None else z + self.bias

    def extra_repr(self) -> str:
        out_features, in_features = self.weight.shape
        return (
            f"in_features={in_features}, out_features={out_features}, bias={self.bias is not None}"
        )


class Embedding(nn.Module):
    """Lookup table: e = E[token], one row of ``weight`` (V, E) per token id.

    The row ``padding_idx`` starts at 0 and gets no gradient, so padding stays a zero vector.
    Initialised N(0, 1) like torch's nn.Embedding; shapes: ids (N*) integer → (N*, E).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        if padding_idx is not None and not 0 <= padding_idx < num_embeddings:
            raise ValueError(
                f"Embedding: expected padding_idx in [0, {num_embeddings}), got {padding_idx}"
            )
        self.padding_idx = padding_idx
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim))
        with torch.no_grad():
            self.weight.normal_(generator=generator)
            if padding_idx is not None:
                self.weight[padding_idx].zero_()

    def forward(self, ids: Tensor) -> Tensor:
        if ids.dtype not in (torch.int32, torch.int64):
            raise TypeError(f"Embedding: expected integer token ids, got {ids.dtype}")
        V = self.weight.shape[0]
        if ids.numel() and not (int(ids.min()) >= 0 and int(ids.max()) < V):
            raise ValueError(
                f"Embedding: expected ids in [0, {V}), "
                f"got range [{int(ids.min())}, {int(ids.max())}]"
            )
        return F.embedding(ids, self.weight, self.padding_idx)  # (N*, E)


class Dropout(nn.Module):
    """Inverted dropout (notes): d = rand(a.shape) < keep_prob;  a = a ⊙ d / keep_prob.

    Dividing by keep_prob keeps E[a] unchanged, so evaluation (``model.eval()``) is the identity.
    keep_prob = 1.0 keeps every unit. Shapes: (N*) → (N*).
    """

    def __init__(self, keep_prob: float = 0.8) -> None:
        super().__init__()
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"Dropout: expected 0 < keep_prob <= 1, got {keep_prob}")
        self.keep_prob = keep_prob

    def forward(self, a: Tensor) -> Tensor:
        if not self.training or self.keep_prob == 1.0:
            return a
        d = torch.rand_like(a) < self.keep_prob
        return a * d / self.keep_prob

    def extra_repr(self) -> str:
        return f"keep_prob={self.keep_prob}"


class BatchNorm(nn.Module):
    """Batch normalisation per channel over batch and time (notes, "Batch Norm - The How"):

        μ_B = 1/m Σ_i u_i,   σ²_B = 1/m Σ_i (u_i − μ_B)²,   û_i = (u_i − μ_B) / √(σ²_B + ε),
        y_i = γ û_i + β

    with m = B (input (B, C)) or m = B·T (input (B, C, T)); γ (``gamma``) and β (``beta``), (C,),
    are learnt. Worked example (notes): u = [3, 5, 8, 9, 11, 24] gives μ_B = 10, σ²_B = 46 and
    û = [−1.03, −0.74, −0.29, −0.15, 0.15, 2.06].

    For evaluation it keeps exponential moving averages (notes, "Ema in BN"):

        moving_mean = momentum·moving_mean + (1 − momentum)·μ_B
        moving_var  = momentum·moving_var  + (1 − momentum)·σ²_B · m/(m − 1)

    and in eval mode normalises with them instead of the batch statistics.

    Note:
        ``momentum`` here is the notes' (and Keras') weight of the OLD value, 0.9 by default;
        torch's BatchNorm1d(momentum=0.1) weights the NEW value. BatchNorm(momentum=m) equals
        torch.nn.BatchNorm1d(momentum=1 − m). Like torch, the moving variance averages the
        unbiased variance σ²_B·m/(m − 1), while the batch itself is normalised with the biased
        σ²_B of the notes, so ``gamma, beta, moving_mean, moving_var`` hold the same numbers as
        torch's ``weight, bias, running_mean, running_var``.

    Shapes: u (B, C) or (B, C, T) → y of the same shape.
    """

    def __init__(self, num_features: int, momentum: float = 0.9, eps: float = 1e-5) -> None:
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"BatchNorm: expected 0 <= momentum < 1, got {momentum}")
        self.momentum = momentum
        self.eps = eps
        self.gamma = nn.Parameter(torch.ones(num_features))
        self.beta = nn.Parameter(torch.zeros(num_features))
        self.register_buffer("moving_mean", torch.zeros(num_features))
        self.register_buffer("moving_var", torch.ones(num_features))

    def forward(self, u: Tensor) -> Tensor:
        C = self.gamma.shape[0]
        if u.dim() not in (2, 3):
            raise ValueError(f"BatchNorm: expected input of rank 2 or 3, got {u.dim()}")
        if u.shape[1] != C:
            raise ValueError(f"BatchNorm: expected {C} channels in dimension 1, got {u.shape[1]}")
        dims = (0,) if u.dim() == 2 else (0, 2)  # everything but the channel
        shape = (1, C) if u.dim() == 2 else (1, C, 1)  # per-channel statistics, broadcastable
        if self.training:
            m = u.numel() // C
            if m < 2:
                raise ValueError(
                    f"BatchNorm: expected more than 1 value per channel in training, got {m}"
                )
            mu = u.mean(dim=dims)  # (C,)
            var = ((u - mu.view(shape)) ** 2).mean(dim=dims)  # (C,), biased: 1/m
            with torch.no_grad():
                self.moving_mean.mul_(self.momentum).add_((1 - self.momentum) * mu)
                self.moving_var.mul_(self.momentum).add_((1 - self.momentum) * var * m / (m - 1))
        else:
            mu, var = self.moving_mean, self.moving_var
        u_hat = (u - mu.view(shape)) / torch.sqrt(var.view(shape) + self.eps)
        return self.gamma.view(shape) * u_hat + self.beta.view(shape)

    def extra_repr(self) -> str:
        return f"{self.gamma.shape[0]}, momentum={self.momentum}, eps={self.eps}"


class Conv2d(nn.Module):
    """2-D convolution (cross-correlation, as in the notes): z = W * x + b per output channel.

    Output size per spatial dimension: ⌊(n + 2p − f) / s⌋ + 1 (n input, f filter, p padding,
    s stride). ``weight`` (C_out, C_in, f, f) is initialised by name (fans count the f·f
    receptive field), ``bias`` (C_out,) at 0. Shapes: x (B, C_in, H, W) → (B, C_out, H', W').
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        init: str = "he_uniform",
        generator: Generator | None = None,
    ) -> None:
        super().__init__()
        self.stride, self.padding = stride, padding
        self.weight = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        initialise_(self.weight, init, generator=generator)

    def forward(self, x: Tensor) -> Tensor:
        C_in = self.weight.shape[1]
        if x.dim() != 4 or x.shape[1] != C_in:
            raise ValueError(
                f"Conv2d: expected input of shape (B, {C_in}, H, W), got {tuple(x.shape)}"
            )
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)


class _Pool2d(nn.Module):
    """Shared shape check of the pooling layers: (B, C, H, W) → (B, C, H', W')."""

    def __init__(self, kernel_size: int, stride: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride

    def _check(self, x: Tensor) -> None:
        if x.dim() != 4:
            raise ValueError(
                f"{type(self).__name__}: expected input of shape (B, C, H, W), got {tuple(x.shape)}"
            )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class MaxPool2d(_Pool2d):
    """Max pooling: the largest value of each f×f window (stride f by default)."""

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return F.max_pool2d(x, self.kernel_size, self.stride)


class AvgPool2d(_Pool2d):
    """Average pooling: the mean of each f×f window (stride f by default)."""

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return F.avg_pool2d(x, self.kernel_size, self.stride)
