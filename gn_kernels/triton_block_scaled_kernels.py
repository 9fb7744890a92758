"""The Triton kernel behind gn_kernels.triton_block_scaled (which holds the checks and schema)."""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .checks import triton_interpreting
from .triton_gemm_kernels import _output_target, _tile_of

_ELEMENT = {torch.float8_e4m3fn: "e4m3", torch.float8_e5m2: "e5m2"}


@triton.jit
def _e2m1(code):
    """float32 value of 4-bit E2M1 codes (sign in bit 3; exponent 2 bits, bias 1; mantissa 1 bit)."""
    exponent = ((code >> 1) & 3).to(tl.float32)
    mantissa = (code & 1).to(tl.float32)
    magnitude = tl.where(exponent == 0, mantissa * 0.5, (1.0 + mantissa * 0.5) * tl.math.exp2(exponent - 1.0))
    return tl.where((code & 8) != 0, -magnitude, magnitude)


@triton.jit
def _nvfp4_rows(packed, scale_bits, ROWS: tl.constexpr, BLOCK_K: tl.constexpr):
    """(ROWS, BLOCK_K/2) bytes packed along K, element 2i in the low nibble, and (ROWS, BLOCK_K/16)
    E4M3 scale bits -> the (ROWS, BLOCK_K) float32 values."""
    values = tl.join(_e2m1(packed & 0xF), _e2m1(packed >> 4)).reshape(ROWS, BLOCK_K)
    scale = scale_bits.to(tl.float8e4nv, bitcast=True).to(tl.float32)
    return (values.reshape(ROWS, BLOCK_K // 16, 16) * scale[:, :, None]).reshape(ROWS, BLOCK_K)


@triton.jit
def _block_scaled_kernel(a_ptr, b_ptr, c_ptr, sa_ptr, sb_ptr, os_ptr, M, N, K, s_am, s_ak, s_bk, s_bn, s_cm, s_cn,
                         s_sam, s_sak, s_sbk, s_sbn,
                         BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                         FORMAT_A: tl.constexpr, FORMAT_B: tl.constexpr, PACK: tl.constexpr, BLOCK: tl.constexpr,
                         NVFP4: tl.constexpr, DOT_DTYPE: tl.constexpr):
    pid_m, pid_n = _tile_of(tl.program_id(0), M, N, BLOCK_M, BLOCK_N, GROUP_M)
    rm, rn = pid_m * BLOCK_M + tl.arange(0, BLOCK_M), pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K // PACK)  # stored elements along K
    rs = tl.arange(0, BLOCK_K // BLOCK)  # scales along K
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        ek, sk = k * (BLOCK_K // PACK) + rk, k * (BLOCK_K // BLOCK) + rs
        k_ok, s_ok = ek < K // PACK, sk < K // BLOCK
        a = tl.load(a_ptr + rm[:, None] * s_am + ek[None, :] * s_ak, mask=(rm[:, None] < M) & k_ok[None, :], other=0)
        b = tl.load(b_ptr + ek[:, None] * s_bk + rn[None, :] * s_bn, mask=k_ok[:, None] & (rn[None, :] < N), other=0)
        sa = tl.load(sa_ptr + rm[:, None] * s_sam + sk[None, :] * s_sak, mask=(rm[:, None] < M) & s_ok[None, :],
                     other=0)
        # B's scales as (N, K/BLOCK), the layout tl.dot_scaled takes.
        sb = tl.load(sb_ptr + rn[:, None] * s_sbn + sk[None, :] * s_sbk, mask=(rn[:, None] < N) & s_ok[None, :],
                     other=0)
        if NVFP4:
            a_values = _nvfp4_rows(a, sa, BLOCK_M, BLOCK_K)
            b_values = _nvfp4_rows(tl.trans(b), sb, BLOCK_N, BLOCK_K)
            acc = tl.dot(a_values.to(DOT_DTYPE), tl.trans(b_values.to(DOT_DTYPE)), acc)
        else:
            acc = tl.dot_scaled(a, sa, FORMAT_A, b, sb, FORMAT_B, acc)
    if NVFP4:
        acc *= tl.load(os_ptr)
    c_ptrs = c_ptr + rm[:, None] * s_cm + rn[None, :] * s_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(rm[:, None] < M) & (rn[None, :] < N))


def block_scaled_mm(A, B, scale_A, scale_B, format: str, out, output_scale) -> None:
    """out = (A @ B) * output_scale of microscaled operands (as the op checked them), on torch's
    current stream; operands and scales are read as bytes."""
    M, N = A.shape[0], B.shape[1]
    pack = 1 if format == "mxfp8" else 2
    K = A.shape[1] * pack
    interpreting = triton_interpreting()
    block_m, block_n, block_k, warps, stages = (32, 32, 64, 4, 1) if interpreting else (128, 128, 128, 8, 3)
    target = _output_target(out, interpreting)
    as_bytes = [t.view(torch.uint8) for t in (A, B, scale_A, scale_B)]
    nvfp4 = format == "nvfp4"
    fmt_a, fmt_b = ("e2m1", "e2m1") if pack == 2 else (_ELEMENT[A.dtype], _ELEMENT[B.dtype])
    grid = (triton.cdiv(M, block_m) * triton.cdiv(N, block_n),)
    _block_scaled_kernel[grid](
        *as_bytes[:2], target, *as_bytes[2:], output_scale if nvfp4 else as_bytes[2], M, N, K,
        A.stride(0), A.stride(1), B.stride(0), B.stride(1), target.stride(0), target.stride(1),
        scale_A.stride(0), scale_A.stride(1), scale_B.stride(0), scale_B.stride(1),
        BLOCK_M=block_m, BLOCK_N=block_n, BLOCK_K=block_k, GROUP_M=8, FORMAT_A=fmt_a, FORMAT_B=fmt_b, PACK=pack,
        BLOCK=16 if nvfp4 else 32, NVFP4=nvfp4,
        # The interpreter multiplies bfloat16 wrongly; decoded values are exact in either.
        DOT_DTYPE=tl.float32 if interpreting else tl.bfloat16, num_warps=warps, num_stages=stages,
    )
    if target is not out:
        out.copy_(target)
