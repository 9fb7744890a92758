"""Quantized linear layers for training and inference: ``QuantizedLinear`` and ``convert_linears``.

Every GEMM goes through gn_kernels.scaled_mm, so it runs the fastest kernel for the GPU. A layer
computes Y = X Wᵀ + b; its backward dX = dY W and dW = dYᵀ X. Each GEMM A (M, K) @ B (K, N) takes
A quantized along its rows and B through the rows of Bᵀ, so the operands each GEMM needs are:

| recipe          | forward: A = X, Bᵀ = W          | dX: A = dY, Bᵀ = Wᵀ        | dW: A = dYᵀ, Bᵀ = Xᵀ                   |
|-----------------|---------------------------------|----------------------------|----------------------------------------|
| "fp8_rowwise"   | E4M3, a scale per row of each   | the same                   | the same                               |
| "fp8_blockwise" | 1×128 groups; 128×128 blocks    | the same                   | the same; tokens a multiple of 128, else bfloat16 |
| "int8_rowwise"  | int8, a scale per row of each   | the same                   | bfloat16                               |

A weight quantized row-wise for the forward (a scale per output feature) has the wrong scales for
dY W, whose sum runs over output features: the backward quantizes Wᵀ afresh, a scale per input
feature (128×128 blocks are the same either way round, but their codes are written in Wᵀ's layout). Gradients
are E4M3 too: a scale per row gives each token its own range, which is what E5M2's wider exponent
would buy. int8 leaves dW in bfloat16: rounding gradients over thousands of tokens to 255 levels
loses too much. Tokens are flattened over leading dimensions.

The operands the backward needs transposed (Wᵀ for dX; dYᵀ and Xᵀ for dW) are quantized straight
from W, dY and X by the row-wise quantizers' transposed forms, which never write a transposed
bfloat16 copy: on the H100 a transposing copy of an 8192×14336 bfloat16 tensor took 0.89 ms (5.6× a
plain copy), and nine of them were a third of the fp8_rowwise MLP's forward+backward time.
fp8_rowwise goes further: each of X, W and dY is quantized both ways by one op
(quantize_fp8_rowwise_both_ways: 268 µs instead of 329 at 8192×14336, two reads of the input
instead of three), the forward keeps Xᵀ's codes for dW in place of X, and Wᵀ's for dX unless the
layer says otherwise (QuantizedLinear.keep_weight_codes). fp8_blockwise quantizes the groups and
blocks of tᵀ from one read of t (a group lies within a 128-row tile of t, so no second pass is needed).

Accumulation: fp8_rowwise's forward GEMM keeps the tensor cores' own FP8 accumulation
(``use_fast_accum``): the H100 MLP's forward GEMMs took 654 µs each instead of 787; its gradient GEMMs promote
partial sums to float32 every 128-deep K block, since a weight gradient sums over every token of
the batch, where truncated accumulation loses most.

Inference: ``layer.quantize_weights()`` (or ``convert_linears(..., quantize_weights=True)``) keeps
only the quantized weight and its scales, which ``state_dict`` saves and ``load_state_dict`` loads
(into a layer in either state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from . import quant
from .routing import scaled_mm

Quantizer = Callable[[Tensor], tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class Recipe:
    name: str
    quantize_a: Quantizer  # A (M, K) -> (Aq, scale_A) in the layout scaled_mm takes
    quantize_bt: Quantizer  # Bᵀ (N, K) -> (Bᵀq, scale) with scale_B = scale.T
    # The same two applied to tᵀ, given t: dW takes dYᵀ and Xᵀ, dX takes Wᵀ.
    quantize_a_of_t: Quantizer
    quantize_bt_of_t: Quantizer
    multiple: int  # what in_features and out_features must be multiples of
    # dW quantized when the token count is a multiple of this (the quantizer's rule for Xᵀ); None: bfloat16
    weight_grad_tokens: int | None
    # The forward GEMM keeps the tensor cores' own accumulation (see the module docstring).
    fast_forward: bool
    # t and tᵀ quantized by one op, for recipes that quantize every operand alike (see _rowwise).
    quantize_both_ways: Callable[[Tensor], tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]] | None = None

    def quantize_pair(self, t: Tensor, quantize: Quantizer, quantize_of_t: Quantizer, want: bool, want_of_t: bool):
        """(quantize(t) if want, quantize_of_t(t) if want_of_t), from one op where the recipe has one."""
        if want and want_of_t and self.quantize_both_ways is not None:
            return self.quantize_both_ways(t)
        return quantize(t) if want else None, quantize_of_t(t) if want_of_t else None

    def quantizes_weight_gradient(self, tokens: int) -> bool:
        return self.weight_grad_tokens is not None and tokens % self.weight_grad_tokens == 0

    def forward_mm(self, x_q: tuple[Tensor, Tensor], w_q: tuple[Tensor, Tensor], bias: Tensor | None,
                   dtype: torch.dtype) -> Tensor:
        return _mm(x_q, w_q, bias, dtype, self.fast_forward)


def _mm(a_q: tuple[Tensor, Tensor], bt_q: tuple[Tensor, Tensor], bias: Tensor | None, out_dtype: torch.dtype,
        fast: bool = False) -> Tensor:
    """A @ B from A quantized along its rows and Bᵀ along its rows."""
    (aq, sa), (btq, sbt) = a_q, bt_q
    return scaled_mm(aq, btq.t(), sa, sbt.t(), bias, out_dtype, use_fast_accum=fast)


def _rowwise(name: str, quantize: Quantizer, quantize_transposed: Quantizer, weight_grad_tokens: int | None,
             fast_forward: bool, quantize_both_ways=None) -> Recipe:
    """Row-wise scaling quantizes A and Bᵀ alike, each along its rows, and tᵀ without copying t."""
    return Recipe(name, quantize, quantize, quantize_transposed, quantize_transposed, 16, weight_grad_tokens,
                  fast_forward, quantize_both_ways)


def _fp8_rowwise_both_ways(t: Tensor) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    q, s, qt, st = quant.quantize_fp8_rowwise_both_ways(t)
    return (q, s), (qt, st)


_FP8_BLOCKS = (quant.quantize_fp8_groupwise, quant.quantize_fp8_blockwise, quant.quantize_fp8_groupwise_transposed,
               quant.quantize_fp8_blockwise_transposed)
RECIPES = {
    "fp8_rowwise": _rowwise("fp8_rowwise", quant.quantize_fp8_rowwise, quant.quantize_fp8_rowwise_transposed, 1,
                            fast_forward=True, quantize_both_ways=_fp8_rowwise_both_ways),
    # The block-scaled kernel applies scales every 128-deep K block, so it has no fast accumulation.
    "fp8_blockwise": Recipe("fp8_blockwise", *_FP8_BLOCKS, quant.GROUP, quant.GROUP, fast_forward=False),
    "int8_rowwise": _rowwise("int8_rowwise", quant.quantize_int8_rowwise, quant.quantize_int8_rowwise_transposed, None,
                             fast_forward=False),
}


def recipe_for(name: str) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"recipe must be one of {list(RECIPES)}; got {name!r}")
    return RECIPES[name]


class _QuantizedLinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None, recipe: Recipe, keep_weight_codes: bool) -> Tensor:
        needs_dx, needs_dw = ctx.needs_input_grad[:2]
        ctx.dw_quantized = needs_dw and recipe.quantizes_weight_gradient(x.shape[0])
        # dW's Xᵀ is quantized now, from the same reads of x as the forward's X, and kept in its
        # place: FP8 codes and a scale per column are half the bytes of x. dX's Wᵀ likewise, where
        # one op gives both and the layer may hold them (see QuantizedLinear.keep_weight_codes).
        x_q, xt_q = recipe.quantize_pair(x, recipe.quantize_a, recipe.quantize_bt_of_t, True, ctx.dw_quantized)
        keep_wt = needs_dx and keep_weight_codes and recipe.quantize_both_ways is not None
        w_q, wt_q = recipe.quantize_pair(weight, recipe.quantize_bt, recipe.quantize_bt_of_t, True, keep_wt)
        kept_w = wt_q if keep_wt else (weight if needs_dx else None, None)
        kept_x = xt_q if ctx.dw_quantized else (x if needs_dw else None, None)
        ctx.save_for_backward(*kept_w, *kept_x)
        ctx.recipe, ctx.has_bias, ctx.dtypes = recipe, bias is not None, (x.dtype, weight.dtype)
        return recipe.forward_mm(x_q, w_q, bias, x.dtype)

    @staticmethod
    def backward(ctx, dy: Tensor):
        w_or_wt_codes, wt_scale, x_or_xt_codes, xt_scale = ctx.saved_tensors
        recipe, dy, (x_dtype, w_dtype) = ctx.recipe, dy.contiguous(), ctx.dtypes
        needs_dx, needs_dw = ctx.needs_input_grad[:2]
        dy_q, dyt_q = recipe.quantize_pair(dy, recipe.quantize_a, recipe.quantize_a_of_t, needs_dx, ctx.dw_quantized)
        dx = None
        if needs_dx:
            wt_q = (w_or_wt_codes, wt_scale) if wt_scale is not None else recipe.quantize_bt_of_t(w_or_wt_codes)
            dx = _mm(dy_q, wt_q, None, x_dtype)
        if ctx.dw_quantized:
            dw = _mm(dyt_q, (x_or_xt_codes, xt_scale), None, w_dtype)
        else:
            dw = (dy.t() @ x_or_xt_codes).to(w_dtype) if needs_dw else None
        db = dy.sum(0).to(dy.dtype) if ctx.has_bias and ctx.needs_input_grad[2] else None
        return dx, dw, db, None, None


class QuantizedLinear(nn.Linear):
    """nn.Linear whose GEMMs run quantized by ``recipe`` (see the module docstring); in_features and
    out_features must be multiples of 16 (128 for fp8_blockwise)."""

    # Training with fp8_rowwise: quantize W both ways in the forward and hold Wᵀ's codes until the
    # backward (one byte per weight), rather than quantize Wᵀ again there (one more read of W: about
    # 30 µs a 4096x14336 weight on the H100). Set False where weights are sharded (FSDP2), so that
    # nothing the size of the unsharded weight outlives the forward.
    keep_weight_codes: bool = True

    def __init__(self, in_features: int, out_features: int, bias: bool = True, recipe: str = "fp8_rowwise",
                 device=None, dtype=None):
        self.recipe = recipe_for(recipe)
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if n % self.recipe.multiple:
                raise ValueError(f"QuantizedLinear({recipe}): {name} must be a multiple of {self.recipe.multiple}; "
                                 f"got {n}")
        super().__init__(in_features, out_features, bias, device, dtype)

    @classmethod
    def from_linear(cls, linear: nn.Linear, recipe: str) -> QuantizedLinear:
        """A QuantizedLinear sharing ``linear``'s parameters (so optimizer state stays attached)."""
        layer = cls.__new__(cls)
        nn.Module.__init__(layer)
        layer.recipe = recipe_for(recipe)
        layer.in_features, layer.out_features = linear.in_features, linear.out_features
        layer.register_parameter("weight", linear.weight)
        layer.register_parameter("bias", linear.bias)
        return layer

    @property
    def is_quantized(self) -> bool:
        return "weight_q" in self._buffers

    @torch.no_grad()
    def quantize_weights(self) -> None:
        """Keep only the quantized weight and its scales (for inference)."""
        if not self.is_quantized:
            self._hold_quantized(*self.recipe.quantize_bt(self.weight.contiguous()))

    def _hold_quantized(self, weight_q: Tensor, weight_scale: Tensor) -> None:
        del self.weight
        self.register_buffer("weight_q", weight_q)
        self.register_buffer("weight_scale", weight_scale)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        if prefix + "weight_q" in state_dict and not self.is_quantized:
            self._hold_quantized(torch.empty_like(state_dict[prefix + "weight_q"]),
                                 torch.empty_like(state_dict[prefix + "weight_scale"]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def forward(self, x: Tensor) -> Tensor:
        x2, recipe = x.reshape(-1, self.in_features), self.recipe
        if self.is_quantized:
            y = recipe.forward_mm(recipe.quantize_a(x2), (self.weight_q, self.weight_scale), self.bias, x.dtype)
        elif torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x2, self.weight, self.bias)):
            y = _QuantizedLinearFunction.apply(x2, self.weight, self.bias, recipe, self.keep_weight_codes)
        else:  # no gradient to come: nothing to quantize for a backward (the Function can't tell under no_grad)
            y = recipe.forward_mm(recipe.quantize_a(x2), recipe.quantize_bt(self.weight), self.bias, x.dtype)
        return y.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, recipe={self.recipe.name}, quantized_weights={self.is_quantized}"


def convert_linears(module: nn.Module, recipe: str, filter_fn: Callable[[str, nn.Linear], bool] | None = None,
                    quantize_weights: bool = False) -> list[str]:
    """Replace, in place, the nn.Linear layers of ``module`` (those ``filter_fn(name, layer)``
    accepts, and whose features are multiples of the recipe's rule) with QuantizedLinear layers
    sharing their parameters; returns the names replaced."""
    rule = recipe_for(recipe).multiple
    replaced = []
    for name, child in list(module.named_modules()):
        for child_name, linear in list(child.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if type(linear) is not nn.Linear or linear.in_features % rule or linear.out_features % rule:
                continue
            if filter_fn is not None and not filter_fn(full, linear):
                continue
            layer = QuantizedLinear.from_linear(linear, recipe)
            if quantize_weights:
                layer.quantize_weights()
            setattr(child, child_name, layer)
            replaced.append(full)
    return replaced
