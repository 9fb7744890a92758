"""Quantization to every format the GEMMs take, in the layouts they read.

Each quantizer is a torch custom op (ops.py) with a pure-torch reference (CPU
or GPU) and, for CUDA inputs, a fused Triton kernel that gives the same bits;
``impl="reference"`` or ``impl="triton"`` forces one. Scales are the dequantization multipliers:
``x ~ q * scale``. See ``reference.py`` for the exact arithmetic, and for
what all-zero groups and non-finite inputs give.

A weight W (N, K) is quantized as nn.Linear holds it; the GEMMs take
``B = Wq.T`` with ``scale_B = scale.T``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .formats import FP4_DTYPE, GROUP, MX_BLOCK, NVFP4_BLOCK, e2m1_values, pack_nibbles, unpack_nibbles
from .ops import (
    quantize_fp8_blockwise,
    quantize_fp8_blockwise_transposed,
    quantize_fp8_groupwise,
    quantize_fp8_groupwise_transposed,
    quantize_fp8_rowwise,
    quantize_fp8_rowwise_both_ways,
    quantize_fp8_rowwise_transposed,
    quantize_fp8_tensorwise,
    quantize_int8_rowwise,
    quantize_int8_rowwise_transposed,
    quantize_mx,
    quantize_nvfp4,
)
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
    "quantize_fp8_blockwise_transposed",
    "quantize_fp8_groupwise",
    "quantize_fp8_groupwise_transposed",
    "quantize_fp8_rowwise",
    "quantize_fp8_rowwise_both_ways",
    "quantize_fp8_rowwise_transposed",
    "quantize_fp8_tensorwise",
    "quantize_int8_rowwise",
    "quantize_int8_rowwise_transposed",
    "quantize_mx",
    "quantize_nvfp4",
    "unpack_block_scales_nv",
    "unpack_int4",
]


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


def _block_values(q: Tensor) -> Tensor:
    return e2m1_values(unpack_nibbles(q)) if q.dtype == FP4_DTYPE else q.float()


def dequantize_mx(q: Tensor, scales: Tensor, out_dtype: torch.dtype = torch.float32) -> Tensor:
    s = scales.float().repeat_interleave(MX_BLOCK, dim=-1)
    return (_block_values(q) * s).to(out_dtype)


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
    return pack_nibbles(x.clamp(-8, 7).to(torch.uint8) & 0xF).view(torch.int8)


def unpack_int4(packed: Tensor) -> Tensor:
    """Inverse of pack_int4: (..., K/2) int8 -> (..., K) int8 in [-8, 7]."""
    if packed.dtype != torch.int8:
        raise TypeError(f"unpack_int4: packed must be int8; got {packed.dtype}")
    nib = unpack_nibbles(packed).to(torch.int16)
    return (nib - ((nib & 8) << 1)).to(torch.int8)  # sign-extend bit 3

