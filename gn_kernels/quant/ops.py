"""The quantizers as torch custom ops: schema, checks and fake kernel beside each.

Each op runs the fused Triton kernel for CUDA tensors and the pure-torch
reference otherwise; ``impl="reference"`` or ``impl="triton"`` forces one
(Triton on CPU tensors only under TRITON_INTERPRET=1).
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from . import reference
from .formats import FP4_DTYPE, FP8_MAX, GROUP, MX_BLOCK, NVFP4_BLOCK

_INPUT_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
_FP8 = tuple(FP8_MAX)
_MX_ELEMENTS = {torch.float8_e4m3fn: "e4m3", torch.float8_e5m2: "e5m2", FP4_DTYPE: "e2m1"}
_IMPLS = ("auto", "reference", "triton")


def _check(fn: str, x: Tensor, impl: str, block: int | None = None, dims: int = 1) -> None:
    if x.dtype not in _INPUT_DTYPES:
        raise TypeError(f"{fn}: x must be float32, bfloat16 or float16; got {x.dtype}")
    if x.dim() < dims:
        raise ValueError(f"{fn}: x must have at least {dims} dimension(s); got shape {tuple(x.shape)}")
    if block is not None and any(x.shape[-d] % block for d in range(1, dims + 1)):
        raise ValueError(
            f"{fn}: the quantized dimension(s) must be divisible by the block size {block}; got shape {tuple(x.shape)}"
        )
    check_choice(fn, "impl", impl, _IMPLS)
    if impl == "triton" and x.device.type == "cpu" and os.environ.get("TRITON_INTERPRET") != "1":
        raise ValueError(f"{fn}: impl='triton' needs a CUDA tensor (or TRITON_INTERPRET=1 on the CPU)")


def check_choice(fn: str, name: str, value, allowed) -> None:
    if value not in allowed:
        raise TypeError(f"{fn}: {name} must be one of {list(allowed)}; got {value}")


def _use_triton(x: Tensor, impl: str) -> bool:
    return impl == "triton" or (impl == "auto" and x.is_cuda)


def _triton():
    # Imported on first use: importing triton costs a second, and CPU-only users never need it.
    from . import triton_kernels

    return triton_kernels


def _empty(shape, dtype, like: Tensor) -> Tensor:
    return torch.empty(shape, dtype=dtype, device=like.device)


# ---- FP8 and INT8 ------------------------------------------------------------------------------


def _check_tensorwise(x, dtype, impl):
    _check("quantize_fp8_tensorwise", x, impl)
    check_choice("quantize_fp8_tensorwise", "dtype", dtype, _FP8)


@torch.library.custom_op("gn_kernels::quantize_fp8_tensorwise", mutates_args=())
def _quantize_fp8_tensorwise_computed(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn,
                                      impl: str = "auto") -> tuple[Tensor, Tensor]:
    _check_tensorwise(x, dtype, impl)
    if _use_triton(x, impl):
        return _triton().quantize_tensorwise_triton(x, dtype)
    return reference.quantize_tensorwise(x, dtype)


@_quantize_fp8_tensorwise_computed.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_tensorwise(x, dtype, impl)
    return _empty(x.shape, dtype, x), _empty((), torch.float32, x)


def _check_given_scale(x, scale, dtype, impl):
    _check_tensorwise(x, dtype, impl)
    if scale.numel() != 1 or scale.dtype != torch.float32 or scale.device != x.device:
        raise ValueError(
            f"quantize_fp8_tensorwise: scale must be a one-element float32 tensor on {x.device}; got "
            f"{scale.dtype} of shape {tuple(scale.shape)} on {scale.device}"
        )


@torch.library.custom_op("gn_kernels::quantize_fp8_tensorwise_given_scale", mutates_args=())
def _quantize_fp8_tensorwise_given(x: Tensor, scale: Tensor, dtype: torch.dtype = torch.float8_e4m3fn,
                                   impl: str = "auto") -> Tensor:
    _check_given_scale(x, scale, dtype, impl)
    if _use_triton(x, impl):
        return _triton().quantize_tensorwise_given_triton(x, scale, dtype)
    return reference.quantize_tensorwise_given(x, scale.reshape(()), dtype)


@_quantize_fp8_tensorwise_given.register_fake
def _(x, scale, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_given_scale(x, scale, dtype, impl)
    return _empty(x.shape, dtype, x)


def quantize_fp8_tensorwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto",
                            scale: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """FP8 codes shaped like x and one float32 scale (0-d).

    Without ``scale`` it is amax(x) / max(dtype): two passes over x, since the global max must be
    known before any element is scaled (on an 8192x8192 input that bounds it near 60% of a copy's
    speed). A ``scale`` chosen ahead (delayed or static scaling, as for activations) makes it one
    pass; then elements saturate, NaN gives the NaN byte, and a scale that is not a positive finite
    number gives zero codes.
    """
    if scale is None:
        return _quantize_fp8_tensorwise_computed(x, dtype, impl)
    return _quantize_fp8_tensorwise_given(x, scale, dtype, impl), scale.reshape(())


def _check_rowwise(fn, x, dtype, impl, group=None):
    _check(fn, x, impl, group)
    check_choice(fn, "dtype", dtype, _FP8 if fn.startswith("quantize_fp8") else (torch.int8,))


def _quantize_groups(x: Tensor, group: int, dtype: torch.dtype, impl: str) -> tuple[Tensor, Tensor]:
    if x.shape[-1] == 0:  # a row of nothing has scale 0; 1x128 groups of nothing have no scales
        return _empty(x.shape, dtype, x), torch.zeros((*x.shape[:-1], int(group == 0)), device=x.device)
    if _use_triton(x, impl):
        return _triton().quantize_groups_triton(x, group, dtype)
    return reference.quantize_groups(x.contiguous(), group, dtype)  # codes row-major, as the fake gives them


def _fake_groups(x: Tensor, groups: int, dtype: torch.dtype):
    return _empty(x.shape, dtype, x), _empty((*x.shape[:-1], groups), torch.float32, x)


@torch.library.custom_op("gn_kernels::quantize_fp8_rowwise", mutates_args=())
def quantize_fp8_rowwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """FP8 codes and one float32 scale per row of the last dim: (..., 1)."""
    _check_rowwise("quantize_fp8_rowwise", x, dtype, impl)
    return _quantize_groups(x, x.shape[-1], dtype, impl)


@quantize_fp8_rowwise.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_rowwise("quantize_fp8_rowwise", x, dtype, impl)
    return _fake_groups(x, 1, dtype)


@torch.library.custom_op("gn_kernels::quantize_int8_rowwise", mutates_args=())
def quantize_int8_rowwise(x: Tensor, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """int8 codes in [-127, 127] and one float32 scale per row: (..., 1)."""
    _check_rowwise("quantize_int8_rowwise", x, torch.int8, impl)
    return _quantize_groups(x, x.shape[-1], torch.int8, impl)


@quantize_int8_rowwise.register_fake
def _(x, impl="auto"):
    _check_rowwise("quantize_int8_rowwise", x, torch.int8, impl)
    return _fake_groups(x, 1, torch.int8)


def _check_transposed(fn, x, dtype, impl):
    _check_rowwise(fn, x, dtype, impl)
    if x.dim() != 2:
        raise ValueError(f"{fn}: x must be a matrix (R, C); got shape {tuple(x.shape)}")


def _quantize_transposed(x: Tensor, dtype: torch.dtype, impl: str) -> tuple[Tensor, Tensor]:
    if x.numel() and _use_triton(x, impl):
        return _triton().quantize_rowwise_transposed_triton(x, dtype)
    return _quantize_groups(x.t().contiguous(), x.shape[0], dtype, impl)


def _fake_transposed(x: Tensor, dtype: torch.dtype):
    return _empty((x.shape[1], x.shape[0]), dtype, x), _empty((x.shape[1], 1), torch.float32, x)


@torch.library.custom_op("gn_kernels::quantize_fp8_rowwise_transposed", mutates_args=())
def quantize_fp8_rowwise_transposed(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn,
                                    impl: str = "auto") -> tuple[Tensor, Tensor]:
    """The bits of quantize_fp8_rowwise(x.t().contiguous()) for a matrix x (R, C) in any strides,
    without writing xᵀ: codes (C, R) and a float32 scale per column of x, (C, 1). What a GEMM takes
    when xᵀ is its A, or x its B with a scale per column (dW = dYᵀ X, dX = dY W)."""
    _check_transposed("quantize_fp8_rowwise_transposed", x, dtype, impl)
    return _quantize_transposed(x, dtype, impl)


@quantize_fp8_rowwise_transposed.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_transposed("quantize_fp8_rowwise_transposed", x, dtype, impl)
    return _fake_transposed(x, dtype)


@torch.library.custom_op("gn_kernels::quantize_int8_rowwise_transposed", mutates_args=())
def quantize_int8_rowwise_transposed(x: Tensor, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """The bits of quantize_int8_rowwise(x.t().contiguous()), without writing xᵀ (see the FP8 one)."""
    _check_transposed("quantize_int8_rowwise_transposed", x, torch.int8, impl)
    return _quantize_transposed(x, torch.int8, impl)


@quantize_int8_rowwise_transposed.register_fake
def _(x, impl="auto"):
    _check_transposed("quantize_int8_rowwise_transposed", x, torch.int8, impl)
    return _fake_transposed(x, torch.int8)


@torch.library.custom_op("gn_kernels::quantize_fp8_rowwise_both_ways", mutates_args=())
def quantize_fp8_rowwise_both_ways(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn,
                                   impl: str = "auto") -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The bits of quantize_fp8_rowwise(x) and then quantize_fp8_rowwise_transposed(x), for a matrix x
    (R, C) in any strides, from two reads of x instead of three: codes (R, C), scales (R, 1), codes
    (C, R), scales (C, 1). What a layer's backward takes from dY: dY for dX = dY W, dYᵀ for dW = dYᵀ X."""
    _check_transposed("quantize_fp8_rowwise_both_ways", x, dtype, impl)
    if x.numel() and _use_triton(x, impl):
        return _triton().quantize_rowwise_transposed_triton(x, dtype, rows_too=True)
    return *_quantize_groups(x, x.shape[1], dtype, impl), *_quantize_transposed(x, dtype, impl)


@quantize_fp8_rowwise_both_ways.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_transposed("quantize_fp8_rowwise_both_ways", x, dtype, impl)
    return *_fake_groups(x, 1, dtype), *_fake_transposed(x, dtype)


@torch.library.custom_op("gn_kernels::quantize_fp8_groupwise", mutates_args=())
def quantize_fp8_groupwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """FP8 codes and one float32 scale per 1x128 group along the last dim: (..., K/128)."""
    _check_rowwise("quantize_fp8_groupwise", x, dtype, impl, GROUP)
    return _quantize_groups(x, GROUP, dtype, impl)


@quantize_fp8_groupwise.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_rowwise("quantize_fp8_groupwise", x, dtype, impl, GROUP)
    return _fake_groups(x, x.shape[-1] // GROUP, dtype)


def _check_blockwise(x, dtype, impl):
    _check("quantize_fp8_blockwise", x, impl, GROUP, dims=2)
    check_choice("quantize_fp8_blockwise", "dtype", dtype, _FP8)


@torch.library.custom_op("gn_kernels::quantize_fp8_blockwise", mutates_args=())
def quantize_fp8_blockwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """FP8 codes and one float32 scale per 128x128 block of the last two dims: (..., R/128, C/128)."""
    _check_blockwise(x, dtype, impl)
    if _use_triton(x, impl):
        return _triton().quantize_blocks_2d_triton(x, GROUP, dtype)
    return reference.quantize_blocks_2d(x, GROUP, dtype)


@quantize_fp8_blockwise.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_blockwise(x, dtype, impl)
    return _empty(x.shape, dtype, x), _empty((*x.shape[:-2], x.shape[-2] // GROUP, x.shape[-1] // GROUP), torch.float32, x)


def _check_transposed_groups(fn: str, x: Tensor, dtype: torch.dtype, impl: str, square: bool) -> None:
    _check_transposed(fn, x, dtype, impl)
    if x.shape[0] % GROUP or (square and x.shape[1] % GROUP):
        what = "R and C" if square else "R (the groups run along x's columns)"
        raise ValueError(f"{fn}: {what} must be divisible by {GROUP}; got shape {tuple(x.shape)}")


def _fake_transposed_groups(x: Tensor, dtype: torch.dtype, square: bool):
    R, C = x.shape
    return _empty((C, R), dtype, x), _empty((C // GROUP if square else C, R // GROUP), torch.float32, x)


@torch.library.custom_op("gn_kernels::quantize_fp8_groupwise_transposed", mutates_args=())
def quantize_fp8_groupwise_transposed(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn,
                                      impl: str = "auto") -> tuple[Tensor, Tensor]:
    """The bits of quantize_fp8_groupwise(x.t().contiguous()) for a matrix x (R, C) in any strides,
    from one read of x: codes (C, R), scales (C, R/128). What dW = dYᵀ X takes as dYᵀ."""
    _check_transposed_groups("quantize_fp8_groupwise_transposed", x, dtype, impl, square=False)
    if _use_triton(x, impl):
        return _triton().quantize_groups_transposed_triton(x, GROUP, False, dtype)
    return _quantize_groups(x.t().contiguous(), GROUP, dtype, "reference")


@quantize_fp8_groupwise_transposed.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_transposed_groups("quantize_fp8_groupwise_transposed", x, dtype, impl, square=False)
    return _fake_transposed_groups(x, dtype, square=False)


@torch.library.custom_op("gn_kernels::quantize_fp8_blockwise_transposed", mutates_args=())
def quantize_fp8_blockwise_transposed(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn,
                                      impl: str = "auto") -> tuple[Tensor, Tensor]:
    """The bits of quantize_fp8_blockwise(x.t().contiguous()) for a matrix x (R, C) in any strides,
    from one read of x: codes (C, R), scales (C/128, R/128). What dX = dY W takes as Wᵀ."""
    _check_transposed_groups("quantize_fp8_blockwise_transposed", x, dtype, impl, square=True)
    if _use_triton(x, impl):
        return _triton().quantize_groups_transposed_triton(x, GROUP, True, dtype)
    return reference.quantize_blocks_2d(x.t().contiguous(), GROUP, dtype)


@quantize_fp8_blockwise_transposed.register_fake
def _(x, dtype=torch.float8_e4m3fn, impl="auto"):
    _check_transposed_groups("quantize_fp8_blockwise_transposed", x, dtype, impl, square=True)
    return _fake_transposed_groups(x, dtype, square=True)


# ---- MX and NVFP4 ------------------------------------------------------------------------------


def _check_mx(x, dtype, method, impl):
    _check("quantize_mx", x, impl, MX_BLOCK)
    check_choice("quantize_mx", "dtype", dtype, tuple(_MX_ELEMENTS))
    check_choice("quantize_mx", "compute_scale_method", method, ("ocp", "nv"))


@torch.library.custom_op("gn_kernels::quantize_mx", mutates_args=())
def quantize_mx(x: Tensor, dtype: torch.dtype, compute_scale_method: str = "ocp", impl: str = "auto") -> tuple[Tensor, Tensor]:
    """MXFP8 (dtype e4m3/e5m2) or MXFP4 (dtype FP4_DTYPE), blocks of 32 along the last dim.

    Returns the elements ((..., K) FP8, or (..., K/2) packed E2M1) and E8M0 scales (..., K/32).
    """
    _check_mx(x, dtype, compute_scale_method, impl)
    if _use_triton(x, impl):
        return _triton().quantize_mx_triton(x, _MX_ELEMENTS[dtype], compute_scale_method)
    return reference.quantize_mx(x, _MX_ELEMENTS[dtype], compute_scale_method)


@quantize_mx.register_fake
def _(x, dtype, compute_scale_method="ocp", impl="auto"):
    _check_mx(x, dtype, compute_scale_method, impl)
    K = x.shape[-1]
    q_cols = K // 2 if dtype == FP4_DTYPE else K
    return _empty((*x.shape[:-1], q_cols), dtype, x), _empty((*x.shape[:-1], K // MX_BLOCK), torch.float8_e8m0fnu, x)


def _check_nvfp4(x, tensor_scale, impl):
    _check("quantize_nvfp4", x, impl, NVFP4_BLOCK)
    if tensor_scale.numel() != 1 or tensor_scale.dtype != torch.float32:
        raise ValueError(
            f"quantize_nvfp4: tensor_scale must be a one-element float32 tensor; got {tensor_scale.dtype} "
            f"of shape {tuple(tensor_scale.shape)}"
        )


@torch.library.custom_op("gn_kernels::quantize_nvfp4", mutates_args=())
def quantize_nvfp4_with_scale(x: Tensor, tensor_scale: Tensor, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """NVFP4 with a given tensor scale: packed E2M1 (..., K/2) and E4M3 block scales (..., K/16)."""
    _check_nvfp4(x, tensor_scale, impl)
    ts = tensor_scale.reshape(())
    if _use_triton(x, impl):
        return _triton().quantize_nvfp4_triton(x, ts)
    return reference.quantize_nvfp4(x, ts)


@quantize_nvfp4_with_scale.register_fake
def _(x, tensor_scale, impl="auto"):
    _check_nvfp4(x, tensor_scale, impl)
    K = x.shape[-1]
    return _empty((*x.shape[:-1], K // 2), FP4_DTYPE, x), _empty((*x.shape[:-1], K // NVFP4_BLOCK), torch.float8_e4m3fn, x)


def quantize_nvfp4(x: Tensor, tensor_scale: Tensor | None = None, impl: str = "auto") -> tuple[Tensor, Tensor, Tensor]:
    """NVFP4: packed E2M1 (..., K/2), E4M3 block scales (..., K/16) and the float32 tensor scale.

    ``tensor_scale`` defaults to amax(x) / (448 * 6), which suits weights; activations pass one
    calibrated ahead, which keeps the op free of a global reduction. x ~ q * block_scale * tensor_scale.
    """
    if tensor_scale is None:
        _check("quantize_nvfp4", x, impl, NVFP4_BLOCK)
        tensor_scale = reference.nvfp4_tensor_scale(x)
    q, scales = quantize_nvfp4_with_scale(x, tensor_scale, impl)
    return q, scales, tensor_scale.reshape(())
