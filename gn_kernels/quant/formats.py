"""Element formats: their limits, E2M1 rounding and nibble packing."""

from __future__ import annotations

import torch
from torch import Tensor

FP8_MAX = {torch.float8_e4m3fn: 448.0, torch.float8_e5m2: 57344.0}
# NaN's FP8 byte in E4M3 and E5M2 alike (sign clear); the given-scale tensor-wise quantizer writes it.
FP8_NAN_CODE = 0x7F
E4M3_MAX = 448.0
E2M1_MAX = 6.0
INT8_MAX = 127.0


def code_max(dtype: torch.dtype) -> float:
    """The largest magnitude an FP8 or int8 code holds: where scaled values saturate."""
    return INT8_MAX if dtype == torch.int8 else FP8_MAX[dtype]


# Exponent of each element format's largest normal number: 448 = 1.75 * 2**8,
# 57344 = 1.75 * 2**15, 6 = 1.5 * 2**2 (OCP MX v1.0, table 1).
MX_ELEMENT_EMAX = {"e4m3": 8, "e5m2": 15, "e2m1": 2}
MX_BLOCK = 32
NVFP4_BLOCK = 16
GROUP = 128  # DeepSeek-style 1x128 groups and 128x128 blocks

# Two E2M1 values a byte, element 2i in the low nibble.
FP4_DTYPE = getattr(torch, "float4_e2m1fn_x2", torch.uint8)

# E2M1 magnitudes by 3-bit code: exponent (2 bits, bias 1) and mantissa (1 bit).
E2M1_VALUES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
# Rounding thresholds between neighbouring magnitudes: a value exactly on one
# rounds to the even code (mantissa 0), so ties at 0.25, 1.25, 2.5 and 5 round
# down and ties at 0.75, 1.75 and 3.5 round up.
_E2M1_UP_IF_ABOVE = (0.25, 1.25, 2.5, 5.0)
_E2M1_UP_IF_AT_LEAST = (0.75, 1.75, 3.5)


def e2m1_codes(v: Tensor) -> Tensor:
    """4-bit E2M1 codes (uint8, sign in bit 3) of float32 values already clamped to [-6, 6]."""
    a = v.abs()
    code = sum((a > t).to(torch.uint8) for t in _E2M1_UP_IF_ABOVE)
    code = code + sum((a >= t).to(torch.uint8) for t in _E2M1_UP_IF_AT_LEAST)
    return code | (torch.signbit(v).to(torch.uint8) << 3)


def e2m1_values(codes: Tensor) -> Tensor:
    """float32 values of 4-bit E2M1 codes."""
    table = torch.tensor(E2M1_VALUES, device=codes.device)
    mag = table[(codes & 7).long()]
    return torch.where((codes & 8) != 0, -mag, mag)


def pack_nibbles(codes: Tensor) -> Tensor:
    """(..., K) 4-bit codes -> (..., K/2) uint8, element 2i in the low nibble."""
    c = codes.to(torch.uint8).reshape(*codes.shape[:-1], codes.shape[-1] // 2, 2)
    return c[..., 0] | (c[..., 1] << 4)


def unpack_nibbles(packed: Tensor) -> Tensor:
    """(..., K/2) bytes -> (..., K) 4-bit codes as uint8."""
    b = packed.view(torch.uint8)
    return torch.stack([b & 0xF, b >> 4], dim=-1).reshape(*b.shape[:-1], b.shape[-1] * 2)
