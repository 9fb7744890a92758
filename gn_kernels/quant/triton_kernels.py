"""Fused Triton quantizers: one read of x, one write of codes and scales, the same bits as reference.py.

Each kernel repeats reference.py's float32 arithmetic operation for operation
(IEEE division through div_rn, a clamp between every multiply and add so that
no FMA contraction changes a rounding), so tests can demand equality.
Maxima of |x| are taken over the float32 bit patterns with the sign cleared:
as integers these order like the values, and inf and NaN sort above every
finite value, so one integer max both finds the scale and flags a non-finite
group (Triton's float max would drop NaN). The kernels with small codes are
compute-bound before they are memory-bound (ncu on the H100: the first MXFP4
kernel spent 89% of SM throughput), so instructions per element count.
"""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl
from torch import Tensor

from ..dispatch import multiprocessor_count
from .formats import E2M1_MAX, FP4_DTYPE, FP8_MAX, FP8_NAN_CODE, MX_ELEMENT_EMAX, code_max

# Output codes; E2M1 codes are packed two a byte by the group kernel itself.
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
    else:
        # Adding and subtracting 1.5 * 2**23 rounds |v| < 2**22 to an integer, ties to even.
        return ((v + 12582912.0) - 12582912.0).to(tl.int8)


@triton.jit
def _e2m1_code(v):
    """The 4-bit E2M1 code of float32 v, rounded to nearest even, saturating at 6."""
    bits = v.to(tl.int32, bitcast=True)
    mag = bits & 0x7FFFFFFF
    # Below 1 the grid is the multiples of 0.5: adding 2**22, whose ulp is 0.5, rounds there
    # (ties to even) and the sum's low bits count the halves, codes 0, 1 and 2.
    small = (mag.to(tl.float32, bitcast=True) + _f32(4194304.0, v)).to(tl.int32, bitcast=True) - 0x4A800000
    # From 1 up, rounding the float32 mantissa to one bit (nearest even: add 2**21 - 1 plus the
    # kept bit) leaves exponent and mantissa bit as the code's bits once the exponent is rebased
    # (127 - 1 exponents, i.e. 252 after the shift), then saturates at code 7, 6.0.
    big = tl.minimum((mag + (0x1FFFFF - (252 << 22)) + ((mag >> 22) & 1)) >> 22, 7)
    return tl.where(mag < 0x3F800000, small, big) | ((bits >> 28) & 8)


@triton.jit
def _pow2(e):
    """2**e for integer e in [-127, 127], exactly."""
    normal = ((tl.maximum(e, -126) + 127) << 23).to(tl.float32, bitcast=True)
    return tl.where(e == -127, 5.877471754111438e-39, normal)


@triton.jit
def _abs_bits(x):
    return x.to(tl.int32, bitcast=True) & 0x7FFFFFFF


@triton.jit
def _amax_of_bits(m):
    """(max |x|, non-finite flag) from the largest |x| bit pattern: 0 and 1 for a non-finite one."""
    bad = (m >= 0x7F800000).to(tl.int32)
    return tl.where(bad != 0, 0, m).to(tl.float32, bitcast=True), bad


@triton.jit
def _amax_flag(x, AXIS: tl.constexpr):
    return _amax_of_bits(tl.max(_abs_bits(x), AXIS))


@triton.jit
def _rowwise_kernel(x_ptr, q_ptr, s_ptr, n_rows, K, ROWS: tl.constexpr, BLOCK_K: tl.constexpr,
                    ONE_PASS: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr, INTERPRET: tl.constexpr):
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    row_ok = rows[:, None] < n_rows
    base = rows[:, None].to(tl.int64) * K
    if ONE_PASS:  # the whole row fits in registers: one read
        offs = tl.arange(0, BLOCK_K)[None, :]
        mask = row_ok & (offs < K)
        x = tl.load(x_ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
        amax, bad = _amax_flag(x, 1)
        scale, inv, usable = _scale_inv(amax, bad, QMAX)
        tl.store(s_ptr + rows, scale, mask=rows < n_rows)
        tl.store(q_ptr + base + offs, _codes(x * inv[:, None], usable[:, None], OUT, QMAX, INTERPRET), mask=mask)
    else:  # a max pass, then a quantize pass that mostly hits L2
        m = tl.zeros((ROWS, BLOCK_K), tl.int32)
        for k in range(0, K, BLOCK_K):
            offs = k + tl.arange(0, BLOCK_K)[None, :]
            x = tl.load(x_ptr + base + offs, mask=row_ok & (offs < K), other=0.0).to(tl.float32)
            m = tl.maximum(m, _abs_bits(x))
        amax, bad = _amax_of_bits(tl.max(m, 1))
        scale, inv, usable = _scale_inv(amax, bad, QMAX)
        tl.store(s_ptr + rows, scale, mask=rows < n_rows)
        for k in range(0, K, BLOCK_K):
            offs = k + tl.arange(0, BLOCK_K)[None, :]
            mask = row_ok & (offs < K)
            x = tl.load(x_ptr + base + offs, mask=mask, other=0.0).to(tl.float32)
            tl.store(q_ptr + base + offs, _codes(x * inv[:, None], usable[:, None], OUT, QMAX, INTERPRET), mask=mask)


@triton.jit
def _tile_amax_kernel(x_ptr, m_ptr, row_m_ptr, R, C, stride_r, stride_c, BR: tl.constexpr, BC: tl.constexpr,
                      ROWS: tl.constexpr):
    """Per column of x (R, C), and per row too when ROWS, the largest |x| bit pattern, merged across
    tiles by atomic max (bit patterns of non-negative floats order like integers, so int32 max is exact)."""
    rows = tl.program_id(0) * BR + tl.arange(0, BR)
    cols = tl.program_id(1) * BC + tl.arange(0, BC)
    mask = (rows[:, None] < R) & (cols[None, :] < C)
    x = tl.load(x_ptr + rows[:, None].to(tl.int64) * stride_r + cols[None, :] * stride_c, mask=mask, other=0.0)
    bits = _abs_bits(x.to(tl.float32))
    tl.atomic_max(m_ptr + cols, tl.max(bits, 0), mask=cols < C, sem="relaxed")
    if ROWS:
        tl.atomic_max(row_m_ptr + rows, tl.max(bits, 1), mask=rows < R, sem="relaxed")


@triton.jit
def _transposed_codes_kernel(x_ptr, m_ptr, q_ptr, s_ptr, row_m_ptr, row_q_ptr, row_s_ptr, R, C, stride_r, stride_c,
                             BR: tl.constexpr, BC: tl.constexpr, ROWS: tl.constexpr, OUT: tl.constexpr,
                             QMAX: tl.constexpr, INTERPRET: tl.constexpr):
    """Codes of xᵀ (C, R), a scale per row of xᵀ from the column maxima: the row-wise kernel's
    arithmetic, with the tile written transposed; when ROWS, the row-wise codes of x from the
    same tile as well."""
    rows = tl.program_id(0) * BR + tl.arange(0, BR)
    cols = tl.program_id(1) * BC + tl.arange(0, BC)
    mask = (rows[:, None] < R) & (cols[None, :] < C)
    x = tl.load(x_ptr + rows[:, None].to(tl.int64) * stride_r + cols[None, :] * stride_c, mask=mask,
                other=0.0).to(tl.float32)
    amax, bad = _amax_of_bits(tl.load(m_ptr + cols, mask=cols < C, other=0))
    scale, inv, usable = _scale_inv(amax, bad, QMAX)
    if tl.program_id(0) == 0:
        tl.store(s_ptr + cols, scale, mask=cols < C)
    codes = _codes(x * inv[None, :], usable[None, :], OUT, QMAX, INTERPRET)
    tl.store(q_ptr + cols[None, :].to(tl.int64) * R + rows[:, None], codes, mask=mask)
    if ROWS:
        amax, bad = _amax_of_bits(tl.load(row_m_ptr + rows, mask=rows < R, other=0))
        scale, inv, usable = _scale_inv(amax, bad, QMAX)
        if tl.program_id(1) == 0:
            tl.store(row_s_ptr + rows, scale, mask=rows < R)
        codes = _codes(x * inv[:, None], usable[:, None], OUT, QMAX, INTERPRET)
        tl.store(row_q_ptr + rows[:, None].to(tl.int64) * C + cols[None, :], codes, mask=mask)


@triton.jit
def _transposed_groups_kernel(x_ptr, q_ptr, s_ptr, R, C, stride_r, stride_c, GROUP: tl.constexpr,
                              BC: tl.constexpr, SQUARE: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr,
                              INTERPRET: tl.constexpr):
    """Codes of xᵀ (C, R) with a scale per 1xGROUP group of xᵀ's rows (GROUP rows of one column of x:
    scales (C, R/GROUP)), or per GROUPxGROUP block when SQUARE (BC == GROUP: scales (C/GROUP, R/GROUP)).
    A group lies inside one tile, so one read of x gives its max and its codes."""
    rows = tl.program_id(0) * GROUP + tl.arange(0, GROUP)
    cols = tl.program_id(1) * BC + tl.arange(0, BC)
    mask = (rows[:, None] < R) & (cols[None, :] < C)
    x = tl.load(x_ptr + rows[:, None].to(tl.int64) * stride_r + cols[None, :] * stride_c, mask=mask,
                other=0.0).to(tl.float32)
    amax, bad = _amax_flag(x, 0)
    if SQUARE:
        scale, inv, usable = _scale_inv(tl.max(amax, 0), tl.max(bad, 0), QMAX)
        tl.store(s_ptr + tl.program_id(1) * (R // GROUP) + tl.program_id(0), scale)
        codes = _codes(x * inv, usable, OUT, QMAX, INTERPRET)
    else:
        scale, inv, usable = _scale_inv(amax, bad, QMAX)
        tl.store(s_ptr + cols * (R // GROUP) + tl.program_id(0), scale, mask=cols < C)
        codes = _codes(x * inv[None, :], usable[None, :], OUT, QMAX, INTERPRET)
    tl.store(q_ptr + cols[None, :].to(tl.int64) * R + rows[:, None], codes, mask=mask)


@triton.jit
def _group_scale(amax, bad, ts_ptr, KIND: tl.constexpr, QMAX: tl.constexpr, EMAX: tl.constexpr,
                 INTERPRET: tl.constexpr):
    """(stored scale, 1 / scale, usable) of each group from its max |x| and its non-finite flag."""
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
    return scale, inv, usable


@triton.jit
def _load_pairs(x_ptr, rows, wcols, n_rows, K, IN: tl.constexpr):
    """Elements 2j and 2j+1 of each row as two float32 tensors, read as whole words: the two
    values an FP4 byte packs then sit in one thread, with no shuffle between the halves.
    IN: 0 bfloat16, 1 float16, 2 float32."""
    mask = (rows[:, None] < n_rows) & (wcols[None, :] < K // 2)
    offs = rows[:, None].to(tl.int64) * (K // 2) + wcols[None, :]
    if IN == 2:
        w = tl.load(x_ptr.to(tl.pointer_type(tl.int64)) + offs, mask=mask, other=0)
        lo = w.to(tl.int32).to(tl.float32, bitcast=True)
        hi = (w >> 32).to(tl.int32).to(tl.float32, bitcast=True)
    else:
        w = tl.load(x_ptr.to(tl.pointer_type(tl.int32)) + offs, mask=mask, other=0)
        if IN == 0:
            lo = (w << 16).to(tl.float32, bitcast=True)
            hi = (w & -65536).to(tl.float32, bitcast=True)
        else:
            lo = w.to(tl.int16).to(tl.float16, bitcast=True).to(tl.float32)
            hi = (w >> 16).to(tl.int16).to(tl.float16, bitcast=True).to(tl.float32)
    return lo, hi, mask, offs


@triton.jit
def _group_kernel(
    x_ptr, q_ptr, s_ptr, ts_ptr, n_rows, K,
    GROUP: tl.constexpr, ROWS: tl.constexpr, BLOCK_K: tl.constexpr, IN: tl.constexpr,
    KIND: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr, EMAX: tl.constexpr, INTERPRET: tl.constexpr,
):
    NG: tl.constexpr = BLOCK_K // GROUP
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    if OUT == 3:  # E2M1, two codes a byte
        wcols = tl.program_id(1) * (BLOCK_K // 2) + tl.arange(0, BLOCK_K // 2)
        lo, hi, mask, offs = _load_pairs(x_ptr, rows, wcols, n_rows, K, IN)
        lo = tl.reshape(lo, (ROWS, NG, GROUP // 2))
        hi = tl.reshape(hi, (ROWS, NG, GROUP // 2))
        amax, bad = _amax_of_bits(tl.maximum(tl.max(_abs_bits(lo), 2), tl.max(_abs_bits(hi), 2)))
        scale, inv, usable = _group_scale(amax, bad, ts_ptr, KIND, QMAX, EMAX, INTERPRET)
        # The encoder saturates by itself; an unusable group's byte is zeroed once, after packing.
        packed = _e2m1_code(lo * inv[:, :, None]) | (_e2m1_code(hi * inv[:, :, None]) << 4)
        packed = tl.where(usable[:, :, None], packed, 0).to(tl.uint8)
        tl.store(q_ptr + offs, tl.reshape(packed, (ROWS, BLOCK_K // 2)), mask=mask)
    else:
        cols = tl.program_id(1) * BLOCK_K + tl.arange(0, BLOCK_K)
        mask = (rows[:, None] < n_rows) & (cols[None, :] < K)
        offs = rows[:, None].to(tl.int64) * K + cols[None, :]
        x = tl.reshape(tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32), (ROWS, NG, GROUP))
        amax, bad = _amax_flag(x, 2)
        scale, inv, usable = _group_scale(amax, bad, ts_ptr, KIND, QMAX, EMAX, INTERPRET)
        q = _codes(x * inv[:, :, None], usable[:, :, None], OUT, QMAX, INTERPRET)
        tl.store(q_ptr + offs, tl.reshape(q, (ROWS, BLOCK_K)), mask=mask)
    s_cols = tl.program_id(1) * NG + tl.arange(0, NG)
    s_offs = rows[:, None].to(tl.int64) * (K // GROUP) + s_cols[None, :]
    tl.store(s_ptr + s_offs, scale, mask=(rows[:, None] < n_rows) & (s_cols[None, :] < K // GROUP))


@triton.jit
def _amax_kernel(x_ptr, amax_ptr, N, BLOCK: tl.constexpr):
    """Global max of the |x| bit patterns (so a non-finite value wins and the scale becomes NaN). Each
    program strides over the tensor and adds one atomic: one atomic per block of 4096 values
    serialized some 16,000 atomics on one address of L2 for an 8192x8192 input."""
    m = tl.zeros((BLOCK,), tl.int32)
    step = tl.num_programs(0).to(tl.int64) * BLOCK
    for start in range(tl.program_id(0).to(tl.int64) * BLOCK, N, step):
        offs = start + tl.arange(0, BLOCK)
        m = tl.maximum(m, _abs_bits(tl.load(x_ptr + offs, mask=offs < N, other=0.0).to(tl.float32)))
    tl.atomic_max(amax_ptr, tl.max(m, 0))


@triton.jit
def _tensorwise_kernel(x_ptr, q_ptr, s_ptr, amax_ptr, N, BLOCK: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr,
                       INTERPRET: tl.constexpr):
    # Blocks in reverse order: the max pass read the end of x last, so that part is still in L2.
    block = tl.num_programs(0) - 1 - tl.program_id(0)
    offs = block.to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    amax, bad = _amax_of_bits(tl.load(amax_ptr))
    scale, inv, usable = _scale_inv(amax, bad, QMAX)
    if block == 0:
        tl.store(s_ptr, scale)
    x = tl.load(x_ptr + offs, mask=offs < N, other=0.0).to(tl.float32)
    tl.store(q_ptr + offs, _codes(x * inv, usable, OUT, QMAX, INTERPRET), mask=offs < N)


@triton.jit
def _given_scale_kernel(x_ptr, q_ptr, s_ptr, N, BLOCK: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr,
                        NAN_CODE: tl.constexpr, INTERPRET: tl.constexpr):
    offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
    s = tl.load(s_ptr)
    bits = s.to(tl.int32, bitcast=True)
    usable = (bits > 0) & (bits < 0x7F800000)  # exactly the positive finite floats
    inv = tl.where(usable, tl.math.div_rn(_f32(1.0, s), tl.where(usable, s, 1.0)), 0.0)
    v = tl.load(x_ptr + offs, mask=offs < N, other=0.0).to(tl.float32) * inv
    nan = usable & (_abs_bits(v) > 0x7F800000)
    codes = tl.where(nan, NAN_CODE, _codes(v, usable, OUT, QMAX, INTERPRET))
    tl.store(q_ptr + offs, codes, mask=offs < N)


@triton.jit
def _block2d_kernel(x_ptr, q_ptr, s_ptr, R, C, BLOCK: tl.constexpr, OUT: tl.constexpr, QMAX: tl.constexpr,
                    INTERPRET: tl.constexpr):
    batch = tl.program_id(2).to(tl.int64)
    rows = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    cols = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    offs = batch * R * C + rows[:, None].to(tl.int64) * C + cols[None, :]
    x = tl.load(x_ptr + offs).to(tl.float32)
    amax, bad = _amax_flag(x, 1)
    scale, inv, usable = _scale_inv(tl.max(amax, 0), tl.max(bad, 0), QMAX)
    tl.store(s_ptr + batch * (R // BLOCK) * (C // BLOCK) + tl.program_id(0) * (C // BLOCK) + tl.program_id(1), scale)
    tl.store(q_ptr + offs, _codes(x * inv, usable, OUT, QMAX, INTERPRET))


def _interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET") == "1"


def _rows(x: Tensor) -> Tensor:
    return x.contiguous().reshape(-1, x.shape[-1])


def _codes_buffer(shape, dtype: torch.dtype, device) -> Tensor:
    """Kernels write FP8 and FP4 codes as bytes; the caller views the buffer as ``dtype``."""
    return torch.empty(shape, dtype=torch.int8 if dtype == torch.int8 else torch.uint8, device=device)


# Launch tables, swept by scripts/tune_quant.py on an 8192x8192 bfloat16 input on the H100
# (benchmarks/results/h100_sxm_tune_quant.md). That sweep predates the integer maxima and timed
# launch by launch, so it ranks coarsely: the values here are within its noise of the best,
# except TENSORWISE (4 programs a multiprocessor, 8 quantize warps, was 4% faster) and
# BLOCK2D_WARPS (16, 6% faster), left until a sweep under CUDA-graph timing confirms them.
ROWWISE_ONE_PASS_MAX_K = 16384  # 32 float32 values a thread at 16 warps
# One-pass row-wise: (values a program, warps), a program taking as many whole rows as fit.
ROWWISE_PROGRAM = (8192, 16)
# (rows, BLOCK_K, warps) a program, by (group size, two codes a byte).
GROUP_TILES = {(16, True): (16, 256, 4), (32, True): (8, 1024, 8), (32, False): (8, 1024, 8), (128, False): (4, 1024, 4)}
# Tensor-wise: (max-pass programs per multiprocessor, values a block, max-pass warps, quantize-pass warps).
TENSORWISE = (8, 4096, 8, 4)
BLOCK2D_WARPS = 8
# Row-wise of xᵀ: (rows, columns, warps) a tile of x, for both passes. Swept on the H100 over six tiles
# (8192x14336, 8192x4096, 4096x14336 bfloat16): 128x64 took 212.6 µs on the first, 1.6% under 64x64,
# within 1.3% of the best elsewhere; a transposing copy then quantize_fp8_rowwise took 1007 µs
# (benchmark_quant.py --cols 14336: 211.0 against 1010.5 µs, benchmarks/results/h100_sxm_quant_8192x14336.md).
# The both-ways form (row-wise codes too) was swept over seven tiles on four shapes: 128x64 and 64x64
# led everywhere within 1% of each other (8192x14336: 267.5 µs, against 327.7 for the separate pair);
# 128x128 at 8 warps and the 256-long tiles were 12-40% slower.
TRANSPOSED_TILE = (128, 64, 4)
# Groups of xᵀ: (columns of x, warps) a 128-row tile of x, and the warps of a 128x128 block of xᵀ.
# Swept on the H100 (8192x14336, 14336x4096, 8192x4096 bfloat16): 64 columns at 4 warps led on all
# three (129.1 µs on the first; 32 to 256 columns at 4 or 8 warps 16-44% slower), and 4 warps took
# the blocks 3-6% under 8 (123.1 µs on the first) and 40% under 16.
TRANSPOSED_GROUP_TILE = (64, 4)
TRANSPOSED_BLOCK_WARPS = 4
_IN_CODE = {torch.bfloat16: 0, torch.float16: 1, torch.float32: 2}


def quantize_rowwise_triton(x: Tensor, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    x2 = _rows(x)
    n, K = x2.shape
    q = _codes_buffer(x2.shape, dtype, x.device)
    s = torch.empty((n, 1), dtype=torch.float32, device=x.device)
    if n:
        one_pass = K <= ROWWISE_ONE_PASS_MAX_K
        if one_pass:
            block_k = triton.next_power_of_2(K)
            values, warps = ROWWISE_PROGRAM
            rows = max(1, values // block_k)
            warps = min(warps, max(1, rows * block_k // 256))
        else:
            rows, block_k, warps = 1, 4096, 8
        _rowwise_kernel[(triton.cdiv(n, rows),)](x2, q, s, n, K, ROWS=rows, BLOCK_K=block_k, ONE_PASS=one_pass,
                                                 OUT=_OUT_CODE[dtype], QMAX=code_max(dtype),
                                                 INTERPRET=_interpreting(), num_warps=warps)
    return q.view(dtype).reshape(x.shape), s.reshape(*x.shape[:-1], 1)


def quantize_rowwise_transposed_triton(x: Tensor, dtype: torch.dtype, rows_too: bool = False) -> tuple[Tensor, ...]:
    """Two passes over x (R, C) in any strides, since a column's max needs every row: the maxima,
    then the codes of xᵀ. Reads x twice and writes codes once, where transposing first would
    write and read a copy of x in its own dtype as well. With ``rows_too``, the same two passes
    also give x's row-wise codes and scales, which come first: what the row-wise kernel's one
    read of x would give, for no read more."""
    R, C = x.shape
    amax = torch.zeros(C + R * rows_too, dtype=torch.int32, device=x.device)
    q = _codes_buffer((C, R), dtype, x.device)
    s = torch.empty((C, 1), dtype=torch.float32, device=x.device)
    row_q = _codes_buffer((R, C), dtype, x.device) if rows_too else q
    row_s = torch.empty((R, 1), dtype=torch.float32, device=x.device) if rows_too else s
    rows, cols, warps = TRANSPOSED_TILE
    grid = (triton.cdiv(R, rows), triton.cdiv(C, cols))
    row_amax = amax[C:]
    _tile_amax_kernel[grid](x, amax, row_amax, R, C, x.stride(0), x.stride(1), BR=rows, BC=cols, ROWS=rows_too,
                            num_warps=warps)
    _transposed_codes_kernel[grid](x, amax, q, s, row_amax, row_q, row_s, R, C, x.stride(0), x.stride(1), BR=rows,
                                   BC=cols, ROWS=rows_too, OUT=_OUT_CODE[dtype], QMAX=code_max(dtype),
                                   INTERPRET=_interpreting(), num_warps=warps)
    transposed = (q.view(dtype), s)
    return (row_q.view(dtype), row_s, *transposed) if rows_too else transposed


def quantize_groups_transposed_triton(x: Tensor, group: int, square: bool, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    """xᵀ's 1xgroup groups (or group x group blocks when ``square``) from one read of x (R, C) in any
    strides; R (and C when square) a multiple of ``group``."""
    R, C = x.shape
    q = _codes_buffer((C, R), dtype, x.device)
    s = torch.empty((C // group, R // group) if square else (C, R // group), dtype=torch.float32, device=x.device)
    if q.numel():
        cols, warps = (group, TRANSPOSED_BLOCK_WARPS) if square else TRANSPOSED_GROUP_TILE
        _transposed_groups_kernel[(R // group, triton.cdiv(C, cols))](x, q, s, R, C, x.stride(0), x.stride(1), GROUP=group,
                                                          BC=cols, SQUARE=square, OUT=_OUT_CODE[dtype],
                                                          QMAX=code_max(dtype), INTERPRET=_interpreting(),
                                                          num_warps=warps)
    return q.view(dtype), s


def _launch_groups(x: Tensor, group: int, kind: int, out: int, qmax: float, q_dtype, s_dtype, emax=0, ts=None):
    x2 = _rows(x)
    n, K = x2.shape
    packed = out == _E2M1
    if packed and x2.data_ptr() % (2 * x2.element_size()):
        x2 = x2.clone()  # the packed path reads pairs as whole words, which must be aligned
    q_cols = K // 2 if packed else K
    q = _codes_buffer((n, q_cols), q_dtype, x.device)
    s = torch.empty((n, K // group), dtype=torch.uint8 if s_dtype != torch.float32 else s_dtype, device=x.device)
    if n:
        rows, block_k, warps = GROUP_TILES[group, packed]
        grid = (triton.cdiv(n, rows), triton.cdiv(K, block_k))
        _group_kernel[grid](x2, q, s, ts if ts is not None else s, n, K, GROUP=group, ROWS=rows, BLOCK_K=block_k,
                            IN=_IN_CODE[x2.dtype], KIND=kind, OUT=out, QMAX=qmax, EMAX=emax,
                            INTERPRET=_interpreting(), num_warps=warps)
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
    amax = torch.zeros((), dtype=torch.int32, device=x.device)
    per_sm, block, max_warps, quant_warps = TENSORWISE
    blocks = max(1, triton.cdiv(xc.numel(), block))
    sms = multiprocessor_count(x.device.index) if x.is_cuda else 4
    _amax_kernel[(min(blocks, per_sm * sms),)](xc, amax, xc.numel(), BLOCK=block, num_warps=max_warps)
    _tensorwise_kernel[(blocks,)](xc, q, s, amax, xc.numel(), BLOCK=block, OUT=_OUT_CODE[dtype],
                                  QMAX=code_max(dtype), INTERPRET=_interpreting(), num_warps=quant_warps)
    return q.view(dtype), s


def quantize_tensorwise_given_triton(x: Tensor, scale: Tensor, dtype: torch.dtype) -> Tensor:
    """One pass: the scale was chosen ahead, so nothing waits for a global max."""
    xc = x.contiguous()
    q = _codes_buffer(x.shape, dtype, x.device)
    _, block, _, quant_warps = TENSORWISE
    grid = (max(1, triton.cdiv(xc.numel(), block)),)
    _given_scale_kernel[grid](xc, q, scale.float().reshape(1), xc.numel(), BLOCK=block, OUT=_OUT_CODE[dtype],
                              QMAX=code_max(dtype), NAN_CODE=FP8_NAN_CODE, INTERPRET=_interpreting(),
                              num_warps=quant_warps)
    return q.view(dtype)


def quantize_blocks_2d_triton(x: Tensor, block: int, dtype: torch.dtype) -> tuple[Tensor, Tensor]:
    *lead, R, C = x.shape
    x3 = x.contiguous().reshape(-1, R, C)
    q = _codes_buffer(x3.shape, dtype, x.device)
    s = torch.empty((x3.shape[0], R // block, C // block), dtype=torch.float32, device=x.device)
    if q.numel():
        qmax = code_max(dtype)
        grid = (R // block, C // block, x3.shape[0])
        _block2d_kernel[grid](x3, q, s, R, C, BLOCK=block, OUT=_OUT_CODE[dtype], QMAX=qmax,
                              INTERPRET=_interpreting(), num_warps=BLOCK2D_WARPS)
    return q.view(dtype).reshape(x.shape), s.reshape(*lead, R // block, C // block)

