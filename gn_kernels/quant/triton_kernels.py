"""Fused Triton quantizers: one read of x, one write of codes and scales, the same bits as reference.py.

Each kernel repeats reference.py's float32 arithmetic operation for operation
(IEEE division through div_rn, a clamp between every multiply and add so that
no FMA contraction changes a rounding), so tests can demand equality.
Max reductions in Triton drop NaN, so non-finite groups are tracked with a
separate flag rather than through the max.
"""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl
from torch import Tensor

from .formats import E2M1_MAX, FP4_DTYPE, FP8_MAX, MX_ELEMENT_EMAX, code_max

# Output codes.
_E4M3, _E5M2, _INT8, _E2M1 = 0, 1, 2, 3
_OUT_CODE = {torch.float8_e4m3fn: _E4M3, torch.float8_e5m2: _E5M2, torch.int8: _INT8}
# How a group's scale is chosen.
_AMAX, _MX_OCP, _MX_NV, _NVFP4 = 0, 1, 2, 3


@triton.jit
def _nonfinite(x):
    return (x != x) | (tl.abs(x) == float("inf"))


@triton.jit
def _f32(value, like):
    # Constants enter divisions as float32 tensors: the interpreter would otherwise
    # divide a Python float in float64 and round differently from the GPU.
    return tl.full(like.shape, value, tl.float32)


@triton.jit
def _scale_inv(amax, bad, QMAX: tl.constexpr):
    usable = (bad == 0) & (amax > 0)
    scale = tl.where(bad != 0, float("nan"), tl.where(usable, tl.math.div_rn(amax, _f32(QMAX, amax)), 0.0))
    inv = tl.where(usable, tl.math.div_rn(_f32(QMAX, amax), tl.where(usable, amax, 1.0)), 0.0)
    return scale, inv, usable


@triton.jit
def _round_to_float(v, M: tl.constexpr, EMIN: tl.constexpr):
    """v rounded to nearest even on the grid of a float format with M mantissa bits and
    smallest normal exponent EMIN, kept in float32. Doing it here rather than in the cast
    makes the cast exact, so the interpreter (whose casts round otherwise) gives GPU bits."""
    a = tl.abs(v)
    e = tl.maximum(((a.to(tl.int32, bitcast=True) >> 23) & 0xFF) - 127, EMIN)
    ulp = ((e - M + 127) << 23).to(tl.float32, bitcast=True)
    c = ulp * 12582912.0  # adding and subtracting 1.5 * 2**23 ulps rounds to a whole ulp, ties to even
    r = (a + c) - c
    return tl.where((v.to(tl.int32, bitcast=True) >> 31) != 0, -r, r)


@triton.jit
def _fp8_bits(v, M: tl.constexpr, EMIN: tl.constexpr, INTERPRET: tl.constexpr):
    """The FP8 byte (M mantissa bits, smallest normal exponent EMIN, bias 1 - EMIN) of float32 v,
    rounded to nearest even. Compiled, the GPU's conversion does it. The interpreter's casts
    round ties away from zero, so there the byte is built from the bits of the value rounded here
    (the sign taken before rounding, so that tiny negatives keep -0)."""
    if INTERPRET:
        sign = ((v.to(tl.int32, bitcast=True) >> 31) & 1) << 7
        a = tl.abs(_round_to_float(v, M, EMIN))
        bits = a.to(tl.int32, bitcast=True)
        normal = ((((bits >> 23) & 0xFF) - 127 - EMIN + 1) << M) | ((bits >> (23 - M)) & ((1 << M) - 1))
        subnormal = (a * _f32(2.0 ** (M - EMIN), a)).to(tl.int32)  # whole multiples of the subnormal step
        return (tl.where(a >= _f32(2.0**EMIN, a), normal, subnormal) | sign).to(tl.uint8)
    elif M == 3:
        return v.to(tl.float8e4nv).to(tl.uint8, bitcast=True)
    else:
        return v.to(tl.float8e5).to(tl.uint8, bitcast=True)


@triton.jit
def _codes(v, usable, OUT: tl.constexpr, QMAX: tl.constexpr, INTERPRET: tl.constexpr):
    v = tl.where(usable, tl.clamp(v, -QMAX, QMAX), 0.0)
    if OUT == 0:
        return _fp8_bits(v, 3, -6, INTERPRET)
    elif OUT == 1:
        return _fp8_bits(v, 2, -14, INTERPRET)
    elif OUT == 2:
        # Adding and subtracting 1.5 * 2**23 rounds |v| < 2**22 to an integer, ties to even.
        return ((v + 12582912.0) - 12582912.0).to(tl.int8)
    else:
        # E2M1: below 1 the codes are 0, 0.5 and 1 by two thresholds (ties to the even code);
        # from 1 up, rounding the float32 mantissa to one bit (nearest even, by adding
        # 2**21 - 1 plus the kept bit) leaves exponent and mantissa bit as the code's bits.
        a = tl.abs(v)
        small = (a > 0.25).to(tl.int32) + (a >= 0.75).to(tl.int32)
        bits = a.to(tl.int32, bitcast=True)
        rounded = (bits + 0x1FFFFF + ((bits >> 22) & 1)) >> 22
        code = tl.where(a < 1.0, small, rounded - 252)
        return code | (((v.to(tl.int32, bitcast=True) >> 31) & 1) << 3)


@triton.jit
def _pow2(e):
    """2**e for integer e in [-127, 127], exactly."""
    normal = ((tl.maximum(e, -126) + 127) << 23).to(tl.float32, bitcast=True)
    return tl.where(e == -127, 5.877471754111438e-39, normal)


@triton.jit
def _rowwise_kernel(x_ptr, q_ptr, s_ptr, K, BLOCK_K: tl.constexpr, ONE_PASS: tl.constexpr, OUT: tl.constexpr,
                    QMAX: tl.constexpr, INTERPRET: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row, q_row = x_ptr + row * K, q_ptr + row * K
    if ONE_PASS:  # the whole row fits in registers: one read
        offs = tl.arange(0, BLOCK_K)
        x = tl.load(x_row + offs, mask=offs < K, other=0.0).to(tl.float32)
        nf = _nonfinite(x)
        scale, inv, usable = _scale_inv(tl.max(tl.where(nf, 0.0, tl.abs(x)), 0), tl.max(nf.to(tl.int32), 0), QMAX)
        tl.store(s_ptr + row, scale)
        tl.store(q_row + offs, _codes(x * inv, usable, OUT, QMAX, INTERPRET), mask=offs < K)
    else:  # a max pass, then a quantize pass that mostly hits L2
        amax = tl.zeros((BLOCK_K,), tl.float32)
        bad = tl.zeros((BLOCK_K,), tl.int32)
        for k in range(0, K, BLOCK_K):
            offs = k + tl.arange(0, BLOCK_K)
            x = tl.load(x_row + offs, mask=offs < K, other=0.0).to(tl.float32)
            nf = _nonfinite(x)
            amax = tl.maximum(amax, tl.where(nf, 0.0, tl.abs(x)))
            bad |= nf.to(tl.int32)
        scale, inv, usable = _scale_inv(tl.max(amax, 0), tl.max(bad, 0), QMAX)
        tl.store(s_ptr + row, scale)
        for k in range(0, K, BLOCK_K):
            offs = k + tl.arange(0, BLOCK_K)
            x = tl.load(x_row + offs, mask=offs < K, other=0.0).to(tl.float32)
            tl.store(q_row + offs, _codes(x * inv, usable, OUT, QMAX, INTERPRET), mask=offs < K)


@triton.jit
def _group_kernel(
    x_ptr, q_ptr, s_ptr, ts_ptr, n_rows, K,
    GROUP: tl.constexpr, ROWS: tl.constexpr, BLOCK_K: tl.constexpr,
    KIND: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr, EMAX: tl.constexpr, INTERPRET: tl.constexpr,
):
    NG: tl.constexpr = BLOCK_K // GROUP
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    cols = tl.program_id(1) * BLOCK_K + tl.arange(0, BLOCK_K)
    mask = (rows[:, None] < n_rows) & (cols[None, :] < K)
    offs = rows[:, None].to(tl.int64) * K + cols[None, :]
    x = tl.reshape(tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32), (ROWS, NG, GROUP))
    nf = _nonfinite(x)
    amax = tl.max(tl.where(nf, 0.0, tl.abs(x)), 2)
    bad = tl.max(nf.to(tl.int32), 2)
    if KIND == 0:
        scale, inv, usable = _scale_inv(amax, bad, QMAX)
    elif KIND == 3:
        ts = tl.load(ts_ptr)
        bad = bad | _nonfinite(ts).to(tl.int32)
        raw = tl.where(ts > 0, tl.math.div_rn(amax, _f32(6.0, amax) * tl.where(ts > 0, ts, 1.0)), 0.0)
        bits = _fp8_bits(tl.minimum(raw, 448.0), 3, -6, INTERPRET)
        denom = bits.to(tl.float8e4nv, bitcast=True).to(tl.float32) * ts
        # E4M3 bits of the block scale, 0x7F (NaN) for a non-finite block.
        scale = tl.where(bad != 0, 0x7F, bits)
        usable = (bad == 0) & (denom > 0)
        inv = tl.where(usable, tl.math.div_rn(_f32(1.0, denom), tl.where(usable, denom, 1.0)), 0.0)
    else:
        if KIND == 1:
            e = ((amax.to(tl.int32, bitcast=True) >> 23) & 0xFF) - 127 - EMAX
        else:
            r = tl.math.div_rn(amax, _f32(QMAX, amax)).to(tl.int32, bitcast=True)
            e = ((r >> 23) & 0xFF) - 127 + ((r & 0x7FFFFF) != 0).to(tl.int32)
        e = tl.minimum(tl.maximum(e, -127), 127)
        usable = bad == 0
        inv = _pow2(-e)
        scale = tl.where(usable, e + 127, 255).to(tl.uint8)
    q = _codes(x * inv[:, :, None], usable[:, :, None], OUT, QMAX, INTERPRET)
    s_cols = tl.program_id(1) * NG + tl.arange(0, NG)
    s_offs = rows[:, None].to(tl.int64) * (K // GROUP) + s_cols[None, :]
    tl.store(s_ptr + s_offs, scale, mask=(rows[:, None] < n_rows) & (s_cols[None, :] < K // GROUP))
    if OUT == 3:
        lo, hi = tl.split(tl.reshape(q, (ROWS, BLOCK_K // 2, 2)))
        packed = (lo | (hi << 4)).to(tl.uint8)
        p_cols = tl.program_id(1) * (BLOCK_K // 2) + tl.arange(0, BLOCK_K // 2)
        p_offs = rows[:, None].to(tl.int64) * (K // 2) + p_cols[None, :]
        tl.store(q_ptr + p_offs, packed, mask=(rows[:, None] < n_rows) & (p_cols[None, :] < K // 2))
    else:
        tl.store(q_ptr + offs, tl.reshape(q, (ROWS, BLOCK_K)), mask=mask)


@triton.jit
def _amax_kernel(x_ptr, amax_ptr, N, BLOCK: tl.constexpr):
    """Global max |x| by atomic max; a non-finite value counts as +inf, so that the scale becomes NaN."""
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < N, other=0.0).to(tl.float32)
    tl.atomic_max(amax_ptr, tl.max(tl.where(_nonfinite(x), float("inf"), tl.abs(x)), 0))


@triton.jit
def _tensorwise_kernel(x_ptr, q_ptr, s_ptr, amax_ptr, N, BLOCK: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr,
                       INTERPRET: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    amax = tl.load(amax_ptr)
    bad = _nonfinite(amax).to(tl.int32)
    scale, inv, usable = _scale_inv(tl.where(bad != 0, 0.0, amax), bad, QMAX)
    if tl.program_id(0) == 0:
        tl.store(s_ptr, scale)
    x = tl.load(x_ptr + offs, mask=offs < N, other=0.0).to(tl.float32)
    tl.store(q_ptr + offs, _codes(x * inv, usable, OUT, QMAX, INTERPRET), mask=offs < N)


@triton.jit
def _block2d_kernel(x_ptr, q_ptr, s_ptr, R, C, BLOCK: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr,
                    INTERPRET: tl.constexpr):
    batch = tl.program_id(2).to(tl.int64)
    rows = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    offs = batch * R * C + rows[:, None].to(tl.int64) * C + cols[None, :]
    x = tl.load(x_ptr + offs).to(tl.float32)
    nf = _nonfinite(x)
    amax = tl.max(tl.max(tl.where(nf, 0.0, tl.abs(x)), 1), 0)
    scale, inv, usable = _scale_inv(amax, tl.max(tl.max(nf.to(tl.int32), 1), 0), QMAX)
    tl.store(s_ptr + batch * (R // BLOCK) * (C // BLOCK) + tl.program_id(0) * (C // BLOCK) + tl.program_id(1), scale)
    tl.store(q_ptr + offs, _codes(x * inv, usable, OUT, QMAX, INTERPRET))


def _interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET") == "1"


def _rows(x: Tensor) -> Tensor:
    return x.contiguous().reshape(-1, x.shape[-1])


def _codes_buffer(shape, dtype: torch.dtype, device) -> Tensor:
    """Kernels write FP8 and FP4 codes as bytes; the caller views the buffer as ``dtype``."""
    return torch.empty(shape, dtype=torch.int8 if dtype == torch.int8 else torch.uint8, device=device)


ROWWISE_ONE_PASS_MAX_K = 16384  # 32 float32 values a thread at 16 warps


def quantize_rowwise_triton(x: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    x2 = _rows(x)
    q = _codes_buffer(x2.shape, dtype, x.device)
    s = torch.empty((x2.shape[0], 1), dtype=torch.float32, device=x.device)
    if x2.shape[0]:
        K = x2.shape[1]
        qmax = code_max(dtype)
        one_pass = K <= ROWWISE_ONE_PASS_MAX_K
        block_k = triton.next_power_of_2(K) if one_pass else 4096
        warps = min(16, max(4, block_k // 512))
        _rowwise_kernel[(x2.shape[0],)](x2, q, s, K, BLOCK_K=block_k, ONE_PASS=one_pass, OUT=_OUT_CODE[dtype],
                                        QMAX=qmax, INTERPRET=_interpreting(), num_warps=warps)
    return q.view(dtype).reshape(x.shape), s.reshape(*x.shape[:-1], 1)


# (rows, BLOCK_K, warps) a program, by group size: the best of a sweep over rows 1-32,
# BLOCK_K 128-1024 and 4 or 8 warps on an 8192x8192 bfloat16 input (H100, 2026-11-23).
GROUP_TILES = {16: (16, 256, 4), 32: (8, 1024, 8), 128: (4, 1024, 4)}


def _launch_groups(x: Tensor, group: int, kind: int, out: int, qmax: float, q_dtype, s_dtype, emax=0, ts=None):
    x2 = _rows(x)
    n, K = x2.shape
    q_cols = K // 2 if out == _E2M1 else K
    q = _codes_buffer((n, q_cols), q_dtype, x.device)
    s = torch.empty((n, K // group), dtype=torch.uint8 if s_dtype != torch.float32 else s_dtype, device=x.device)
    if n:
        rows, block_k, warps = GROUP_TILES[group]
        grid = (triton.cdiv(n, rows), triton.cdiv(K, block_k))
        _group_kernel[grid](x2, q, s, ts if ts is not None else s, n, K, GROUP=group, ROWS=rows, BLOCK_K=block_k,
                            KIND=kind, OUT=out, QMAX=qmax, EMAX=emax, INTERPRET=_interpreting(), num_warps=warps)
    q = q.view(q_dtype)
    s = s if s_dtype == torch.float32 else s.view(s_dtype)
    return q.reshape(*x.shape[:-1], q_cols), s.reshape(*x.shape[:-1], K // group)


def quantize_groups_triton(x: Tensor, group: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    if group == x.shape[-1]:
        return quantize_rowwise_triton(x, dtype)
    qmax = code_max(dtype)
    return _launch_groups(x, group, _AMAX, _OUT_CODE[dtype], qmax, dtype, torch.float32)


def quantize_mx_triton(x: Tensor, element: str, method: str) -> tuple[Tensor, Tensor]:
    kind = _MX_OCP if method == "ocp" else _MX_NV
    if element == "e2m1":
        out, qmax, q_dtype = _E2M1, E2M1_MAX, FP4_DTYPE
    else:
        q_dtype = torch.float8_e4m3fn if element == "e4m3" else torch.float8_e5m2
        out, qmax = _OUT_CODE[q_dtype], FP8_MAX[q_dtype]
    return _launch_groups(x, 32, kind, out, qmax, q_dtype, torch.float8_e8m0fnu, emax=MX_ELEMENT_EMAX[element])


def quantize_nvfp4_triton(x: Tensor, tensor_scale: Tensor) -> tuple[Tensor, Tensor]:
    ts = tensor_scale.float().reshape(1).contiguous()
    return _launch_groups(x, 16, _NVFP4, _E2M1, E2M1_MAX, FP4_DTYPE, torch.float8_e4m3fn, ts=ts)


def quantize_tensorwise_triton(x: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """Two passes, since a global max must finish before any element is scaled: a max, then the codes."""
    xc = x.contiguous()
    q = _codes_buffer(x.shape, dtype, x.device)
    s = torch.empty((), dtype=torch.float32, device=x.device)
    amax = torch.zeros((), dtype=torch.float32, device=x.device)
    qmax = code_max(dtype)
    block = 4096
    grid = (max(1, triton.cdiv(xc.numel(), block)),)
    _amax_kernel[grid](xc, amax, xc.numel(), BLOCK=block, num_warps=8)
    _tensorwise_kernel[grid](xc, q, s, amax, xc.numel(), BLOCK=block,
                                                                   OUT=_OUT_CODE[dtype], QMAX=qmax,
                                                                   INTERPRET=_interpreting(), num_warps=4)
    return q.view(dtype), s


def quantize_blocks_2d_triton(x: Tensor, block: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    *lead, R, C = x.shape
    x3 = x.contiguous().reshape(-1, R, C)
    q = _codes_buffer(x3.shape, dtype, x.device)
    s = torch.empty((x3.shape[0], R // block, C // block), dtype=torch.float32, device=x.device)
    if q.numel():
        qmax = code_max(dtype)
        grid = (R // block, C // block, x3.shape[0])
        _block2d_kernel[grid](x3, q, s, R, C, BLOCK=block, OUT=_OUT_CODE[dtype], QMAX=qmax,
                              INTERPRET=_interpreting(), num_warps=8)
    return q.view(dtype).reshape(x.shape), s.reshape(*lead, R // block, C // block)

