"""Quantization to every format the GEMMs take, in the layouts they read.

Each quantizer has a pure-torch reference (CPU or GPU) and, for CUDA inputs,
a fused Triton kernel that gives the same bits; ``impl="reference"`` or
``impl="triton"`` forces one. Scales are the dequantization multipliers:
``x ~ q * scale``. See ``reference.py`` for the exact arithmetic, and for
what all-zero groups and non-finite inputs give.

A weight W (N, K) is quantized as nn.Linear holds it; the GEMMs take
``B = Wq.T`` with ``scale_B = scale.T``.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from . import reference
from .formats import FP4_DTYPE, FP8_MAX, GROUP, MX_BLOCK, NVFP4_BLOCK, e2m1_values, unpack_nibbles
from .scale_layout import pack_block_scales_nv, unpack_block_scales_nv

__all__ = [
    "FP4_DTYPE",
    "dequantize_fp8_blockwise",
    "dequantize_fp8_groupwise",
    "dequantize_fp8_rowwise",
    "dequantize_fp8_tensorwise",
    "dequantize_int8_rowwise",
    "dequantize_mx",
    "dequantize_nvfp4",
    "pack_block_scales_nv",
    "pack_int4",
    "quantize_fp8_blockwise",
    "quantize_fp8_groupwise",
    "quantize_fp8_rowwise",
    "quantize_fp8_tensorwise",
    "quantize_int8_rowwise",
    "quantize_mx",
    "quantize_nvfp4",
    "unpack_block_scales_nv",
    "unpack_int4",
]

_INPUT_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
_FP8 = tuple(FP8_MAX)


def _check_input(fn: str, x: Tensor, block: int | None = None, dims: int = 1) -> None:
    if x.dtype not in _INPUT_DTYPES:
        raise TypeError(f"{fn}: x must be float32, bfloat16 or float16; got {x.dtype}")
    if x.dim() < dims:
        raise ValueError(f"{fn}: x must have at least {dims} dimension(s); got shape {tuple(x.shape)}")
    if block is not None:
        for d in range(1, dims + 1):
            if x.shape[-d] % block:
                raise ValueError(
                    f"{fn}: the quantized dimension(s) must be divisible by the block size {block}; "
                    f"got shape {tuple(x.shape)}"
                )


def _check_choice(fn: str, name: str, value, allowed) -> None:
    if value not in allowed:
        raise TypeError(f"{fn}: {name} must be one of {list(allowed)}; got {value}")


def _use_triton(x: Tensor, impl: str) -> bool:
    _check_choice("quantize", "impl", impl, ("auto", "reference", "triton"))
    if impl == "triton" and not x.is_cuda and os.environ.get("TRITON_INTERPRET") != "1":
        raise ValueError("impl='triton' needs a CUDA tensor (or TRITON_INTERPRET=1)")
    return impl == "triton" or (impl == "auto" and x.is_cuda)


def _triton():
    # Imported on first use: importing triton costs a second, and CPU-only users never need it.
    from . import triton_kernels

    return triton_kernels


# ---- FP8 and INT8: tensor-wise, row-wise, 1x128 groups, 128x128 blocks ------------------------


def quantize_fp8_tensorwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """One float32 scale (0-d) for the whole tensor."""
    _check_input("quantize_fp8_tensorwise", x)
    _check_choice("quantize_fp8_tensorwise", "dtype", dtype, _FP8)
    if _use_triton(x, impl):
        return _triton().quantize_tensorwise_triton(x, dtype)
    return reference.quantize_tensorwise(x, dtype)


def quantize_fp8_rowwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """One float32 scale per row of the last dim: scales (..., 1)."""
    _check_input("quantize_fp8_rowwise", x)
    _check_choice("quantize_fp8_rowwise", "dtype", dtype, _FP8)
    return _quantize_groups(x, x.shape[-1], dtype, impl)


def quantize_fp8_groupwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """One float32 scale per 1x128 group along the last dim: scales (..., K/128)."""
    _check_input("quantize_fp8_groupwise", x, GROUP)
    _check_choice("quantize_fp8_groupwise", "dtype", dtype, _FP8)
    return _quantize_groups(x, GROUP, dtype, impl)


def quantize_int8_rowwise(x: Tensor, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """int8 in [-127, 127], one float32 scale per row: scales (..., 1)."""
    _check_input("quantize_int8_rowwise", x)
    return _quantize_groups(x, x.shape[-1], torch.int8, impl)


def _quantize_groups(x: Tensor, group: int, dtype: torch.dtype, impl: str):
    if x.shape[-1] == 0:
        return torch.empty(x.shape, dtype=dtype, device=x.device), x.new_zeros((*x.shape[:-1], 1), dtype=torch.float32)
    if _use_triton(x, impl):
        return _triton().quantize_groups_triton(x, group, dtype)
    return reference.quantize_groups(x, group, dtype)


def quantize_fp8_blockwise(x: Tensor, dtype: torch.dtype = torch.float8_e4m3fn, impl: str = "auto") -> tuple[Tensor, Tensor]:
    """One float32 scale per 128x128 block of the last two dims: scales (..., R/128, C/128)."""
    _check_input("quantize_fp8_blockwise", x, GROUP, dims=2)
    _check_choice("quantize_fp8_blockwise", "dtype", dtype, _FP8)
    if _use_triton(x, impl):
        return _triton().quantize_blocks_2d_triton(x, GROUP, dtype)
    return reference.quantize_blocks_2d(x, GROUP, dtype)


def dequantize_fp8_rowwise(q: Tensor, scale: Tensor, out_dtype: torch.dtype = torch.float32) -> Tensor:
    """q * scale, the scale broadcast: (..., 1) per row, or 0-d for the tensor-wise format."""
    return (q.float() * scale).to(out_dtype)


dequantize_fp8_tensorwise = dequantize_int8_rowwise = dequantize_fp8_rowwise


def dequantize_fp8_groupwise(q: Tensor, scale: Tensor, out_dtype: torch.dtype = torch.float32) -> Tensor:
    return (q.float() * scale.repeat_interleave(GROUP, dim=-1)).to(out_dtype)


def dequantize_fp8_blockwise(q: Tensor, scale: Tensor, out_dtype: torch.dtype = torch.float32) -> Tensor:
    s = scale.repeat_interleave(GROUP, dim=-1).repeat_interleave(GROUP, dim=-2)
    return (q.float() * s).to(out_dtype)


# ---- MX (OCP Microscaling v1.0) and NVFP4 ------------------------------------------------------

_MX_ELEMENTS = {torch.float8_e4m3fn: "e4m3", torch.float8_e5m2: "e5m2", FP4_DTYPE: "e2m1"}


def quantize_mx(x: Tensor, dtype: torch.dtype, compute_scale_method: str = "ocp", impl: str = "auto") -> tuple[Tensor, Tensor]:
    """MXFP8 (dtype e4m3/e5m2) or MXFP4 (dtype FP4_DTYPE): blocks of 32 along the last dim.

    Returns the elements ((..., K) FP8, or (..., K/2) packed E2M1) and E8M0 scales (..., K/32).
    """
    _check_input("quantize_mx", x, MX_BLOCK)
    _check_choice("quantize_mx", "dtype", dtype, tuple(_MX_ELEMENTS))
    _check_choice("quantize_mx", "compute_scale_method", compute_scale_method, ("ocp", "nv"))
    if _use_triton(x, impl):
        return _triton().quantize_mx_triton(x, _MX_ELEMENTS[dtype], compute_scale_method)
    return reference.quantize_mx(x, _MX_ELEMENTS[dtype], compute_scale_method)


def _block_values(q: Tensor) -> Tensor:
    return e2m1_values(unpack_nibbles(q)) if q.dtype == FP4_DTYPE else q.float()


def dequantize_mx(q: Tensor, scales: Tensor, out_dtype: torch.dtype = torch.float32) -> Tensor:
    s = scales.float().repeat_interleave(MX_BLOCK, dim=-1)
    return (_block_values(q) * s).to(out_dtype)


def quantize_nvfp4(x: Tensor, tensor_scale: Tensor | None = None, impl: str = "auto") -> tuple[Tensor, Tensor, Tensor]:
    """NVFP4: packed E2M1 (..., K/2), E4M3 block scales (..., K/16) and a float32 tensor scale.

    ``tensor_scale`` (0-d float32) is computed as amax / (448 * 6) when not given
    (weights); activations pass one calibrated ahead, which keeps the op free of
    a global reduction. x ~ q * block_scale * tensor_scale.
    """
    _check_input("quantize_nvfp4", x, NVFP4_BLOCK)
    if tensor_scale is None:
        tensor_scale = reference.nvfp4_tensor_scale(x)
    elif tensor_scale.numel() != 1 or tensor_scale.dtype != torch.float32:
        raise ValueError(f"quantize_nvfp4: tensor_scale must be a one-element float32 tensor; got "
                         f"{tensor_scale.dtype} of shape {tuple(tensor_scale.shape)}")
    tensor_scale = tensor_scale.reshape(())
    if _use_triton(x, impl):
        q, scales = _triton().quantize_nvfp4_triton(x, tensor_scale)
    else:
        q, scales = reference.quantize_nvfp4(x, tensor_scale)
    return q, scales, tensor_scale


def dequantize_nvfp4(q: Tensor, scales: Tensor, tensor_scale: Tensor, out_dtype: torch.dtype = torch.float32) -> Tensor:
    s = scales.float().repeat_interleave(NVFP4_BLOCK, dim=-1) * tensor_scale.float()
    return (_block_values(q) * s).to(out_dtype)


# ---- INT4 -------------------------------------------------------------------------------------


def pack_int4(x: Tensor) -> Tensor:
    """(..., K) int8 -> (..., K/2) int8, two signed int4 a byte along K, element 2i in the low nibble.

    Values saturate to [-8, 7] (checking them would sync the host).
    """
    if x.dtype != torch.int8:
        raise TypeError(f"pack_int4: x must be int8; got {x.dtype}")
    if x.dim() == 0 or x.shape[-1] % 2:
        raise ValueError(f"pack_int4: the last dimension must be even; got shape {tuple(x.shape)}")
    nib = (x.clamp(-8, 7).to(torch.uint8) & 0xF).reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    return (nib[..., 0] | (nib[..., 1] << 4)).view(torch.int8)


def unpack_int4(packed: Tensor) -> Tensor:
    """Inverse of pack_int4: (..., K/2) int8 -> (..., K) int8 in [-8, 7]."""
    if packed.dtype != torch.int8:
        raise TypeError(f"unpack_int4: packed must be int8; got {packed.dtype}")
    b = packed.view(torch.uint8).to(torch.int16)
    nib = torch.stack([b & 0xF, b >> 4], dim=-1)
    return (nib - ((nib & 8) << 1)).to(torch.int8).reshape(*packed.shape[:-1], packed.shape[-1] * 2)

