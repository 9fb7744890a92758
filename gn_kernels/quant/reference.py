"""Pure-torch reference quantizers (CPU or GPU). The fused Triton kernels give the same bits.

Every quantizer works on groups along the last dimension (a row, 1x128, an MX
block of 32, an NVFP4 block of 16) or on 128x128 blocks of the last two
dimensions, and follows the same steps, in float32, in this order:

    amax  = max |x| over the group
    scale = amax / qmax                 (the dequantization multiplier)
    inv   = qmax / amax                 (0 for an all-zero group)
    q     = round_to_nearest_even(clamp(x * inv, -qmax, qmax))

so that a Triton kernel doing the same IEEE operations reproduces it exactly.
MX and NVFP4 constrain the scale to a power of two (E8M0) or to E4M3, as below.

Non-finite input propagates: a group holding NaN or +-inf gets a NaN scale
(E8M0 code 255 for MX, E4M3 NaN for NVFP4) and zero codes, so all it
dequantizes to is NaN. An all-zero group gets scale 0 (the smallest E8M0
scale, 2**-127, for MX) and dequantizes to exact zeros.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .formats import (
    E2M1_MAX,
    E4M3_MAX,
    FP4_DTYPE,
    FP8_MAX,
    FP8_NAN_CODE,
    code_max,
    MX_BLOCK,
    MX_ELEMENT_EMAX,
    NVFP4_BLOCK,
    e2m1_codes,
    pack_nibbles,
)

_NAN = float("nan")


def _groups(x: Tensor, size: int) -> Tensor:
    """(..., K) -> (..., K / size, size), as float32."""
    return x.float().reshape(*x.shape[:-1], x.shape[-1] // size, size)


def _scale_and_inverse(amax: Tensor, qmax: float) -> tuple[Tensor, Tensor, Tensor]:
    """(scale, inv, usable) for a float32 amax; see the module docstring for 0 and non-finite."""
    finite = torch.isfinite(amax)
    usable = finite & (amax > 0)
    q = _f32(qmax, amax)
    scale = torch.where(usable, amax / q, torch.where(finite, 0.0, _NAN))
    inv = torch.where(usable, q / amax, 0.0)
    return scale, inv, usable


def _f32(value: float, like: Tensor) -> Tensor:
    # Divisions take both operands as float32 tensors: with a Python scalar torch may
    # multiply by its reciprocal instead, which rounds differently from IEEE division.
    return torch.full_like(like, value, dtype=torch.float32)


def _to_code(v: Tensor, usable: Tensor, dtype: torch.dtype) -> Tensor:
    """Round already-scaled float32 values to ``dtype`` (nearest even, saturating); 0 where unusable."""
    qmax = code_max(dtype)
    v = torch.where(usable, v.clamp(-qmax, qmax), 0.0)
    return v.round().to(torch.int8) if dtype == torch.int8 else v.to(dtype)


def quantize_groups(x: Tensor, group: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """FP8 or INT8 with one float32 scale per ``group`` values along the last dim."""
    g = _groups(x, group)
    qmax = code_max(dtype)
    scale, inv, usable = _scale_and_inverse(g.abs().amax(-1, keepdim=True), qmax)
    q = _to_code(g * inv, usable, dtype)
    return q.reshape(x.shape), scale.squeeze(-1)


def quantize_tensorwise(x: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    qmax = code_max(dtype)
    scale, inv, usable = _scale_and_inverse(x.float().abs().amax(), qmax)
    return _to_code(x.float() * inv, usable, dtype), scale


def quantize_tensorwise_given(x: Tensor, scale: Tensor, dtype: torch.dtype) -> Tensor:
    """FP8 codes of x / scale for a scale chosen ahead (delayed or static scaling): one pass.

    Elements saturate at the format's max (+-inf too) and NaN gives the NaN byte 0x7F; a scale
    that is not a positive finite number gives zero codes, as an all-zero or non-finite tensor
    does on the computed-scale path.
    """
    s = scale.float()
    usable = torch.isfinite(s) & (s > 0)
    inv = torch.where(usable, _f32(1.0, s) / torch.where(usable, s, 1.0), 0.0)
    v = x.float() * inv
    bits = _to_code(v, usable, dtype).view(torch.uint8)
    return torch.where(torch.isnan(v) & usable, FP8_NAN_CODE, bits).view(dtype)


def quantize_blocks_2d(x: Tensor, block: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """One scale per ``block`` x ``block`` tile of the last two dims: scales (..., R/block, C/block)."""
    *lead, R, C = x.shape
    t = x.float().reshape(*lead, R // block, block, C // block, block)
    qmax = code_max(dtype)
    amax = t.abs().amax(dim=(-3, -1), keepdim=True)
    scale, inv, usable = _scale_and_inverse(amax, qmax)
    q = _to_code(t * inv, usable, dtype)
    return q.reshape(x.shape), scale.squeeze(-1).squeeze(-2)


def _float_bits(v: Tensor) -> tuple[Tensor, Tensor]:
    """Biased exponent field and mantissa field of float32 values."""
    bits = v.contiguous().view(torch.int32)
    return (bits >> 23) & 0xFF, bits & 0x7FFFFF


def mx_scale_exponent(amax: Tensor, element: str, method: str) -> Tensor:
    """Shared exponent e (scale 2**e) of MX blocks, clamped to E8M0's [-127, 127].

    "ocp": floor(log2(amax)) - emax_element (OCP MX v1.0, section 6.3); elements
    above the format's max saturate. "nv": ceil(log2(amax / qmax)), rounding the
    scale up so that no element saturates (the recipe of NVIDIA's libraries).
    """
    if method == "ocp":
        exp_field, _ = _float_bits(amax)
        e = exp_field - 127 - MX_ELEMENT_EMAX[element]
    elif method == "nv":
        exp_field, mantissa = _float_bits(amax / _f32(_element_max(element), amax))
        e = exp_field - 127 + (mantissa != 0).to(torch.int32)
    else:
        raise ValueError(f"compute_scale_method must be 'ocp' or 'nv'; got {method!r}")
    return e.clamp(-127, 127)


def _element_max(element: str) -> float:
    return E2M1_MAX if element == "e2m1" else FP8_MAX[_FP8_BY_NAME[element]]


_FP8_BY_NAME = {"e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2}


def _pow2(e: Tensor) -> Tensor:
    """2**e for integer e in [-127, 127], exactly, as float32 (2**-127 is subnormal)."""
    normal = ((e.clamp(min=-126) + 127) << 23).view(torch.float32)
    return torch.where(e == -127, 2.0**-127, normal)


def quantize_mx(x: Tensor, element: str, method: str) -> tuple[Tensor, Tensor]:
    """MX blocks of 32 along the last dim: element codes and E8M0 scales (..., K/32)."""
    g = _groups(x, MX_BLOCK)
    amax = g.abs().amax(-1, keepdim=True)
    finite = torch.isfinite(amax)
    e = mx_scale_exponent(amax, element, method)
    v = torch.where(finite, (g * _pow2(-e)).clamp(-_element_max(element), _element_max(element)), 0.0)
    scale_code = torch.where(finite, e + 127, 255).to(torch.uint8).view(torch.float8_e8m0fnu).squeeze(-1)
    if element == "e2m1":
        return pack_nibbles(e2m1_codes(v).reshape(x.shape)).view(FP4_DTYPE), scale_code
    return v.to(_FP8_BY_NAME[element]).reshape(x.shape), scale_code


def nvfp4_tensor_scale(x: Tensor) -> Tensor:
    """The float32 tensor scale that lets every block scale fit E4M3: amax / (448 * 6)."""
    return x.float().abs().amax() / (E4M3_MAX * E2M1_MAX)


def quantize_nvfp4(x: Tensor, tensor_scale: Tensor) -> tuple[Tensor, Tensor]:
    """NVFP4 blocks of 16: packed E2M1 codes and E4M3 block scales (..., K/16).

    x ~ code * block_scale * tensor_scale. The block scale is amax / (6 * tensor_scale)
    rounded to E4M3 (saturating at 448); the elements are x / (block_scale * tensor_scale).
    """
    g = _groups(x, NVFP4_BLOCK)
    ts = tensor_scale.float()
    amax = g.abs().amax(-1, keepdim=True)
    finite = torch.isfinite(amax) & torch.isfinite(ts)
    raw = torch.where(ts > 0, amax / (_f32(E2M1_MAX, amax) * ts), 0.0)
    block_scale = torch.where(finite, raw.clamp(max=E4M3_MAX), _NAN).to(torch.float8_e4m3fn)
    denom = block_scale.float() * ts
    usable = finite & (denom > 0)
    inv = torch.where(usable, _f32(1.0, denom) / denom, 0.0)
    v = torch.where(usable, (g * inv).clamp(-E2M1_MAX, E2M1_MAX), 0.0)
    return pack_nibbles(e2m1_codes(v).reshape(x.shape)).view(FP4_DTYPE), block_scale.squeeze(-1)
