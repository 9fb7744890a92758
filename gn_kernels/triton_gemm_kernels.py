"""The Triton GEMM kernel behind gn_kernels.triton_gemm: checks, schemas and dtype rules live
there; launch configurations in gn_kernels/heuristics/triton_mm.py."""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl

from .checks import triton_interpreting
from .heuristics import triton_mm as configs

_TL = {torch.float32: tl.float32, torch.float16: tl.float16, torch.int32: tl.int32}


@triton.jit
def _output_tile(M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, GROUP_M: tl.constexpr):
    """Rows and columns of this program's output tile; tiles are walked in bands GROUP_M tall so
    that consecutive programs share A and B tiles in L2."""
    pid = tl.program_id(0)
    band = GROUP_M * tl.cdiv(N, BLOCK_N)
    first_m = (pid // band) * GROUP_M
    band_m = tl.minimum(tl.cdiv(M, BLOCK_M) - first_m, GROUP_M)
    pid_m = first_m + (pid % band) % band_m
    pid_n = (pid % band) // band_m
    return pid_m * BLOCK_M + tl.arange(0, BLOCK_M), pid_n * BLOCK_N + tl.arange(0, BLOCK_N)


@triton.jit
def _load_operand(ptrs, mask, UPCAST: tl.constexpr):
    if UPCAST:
        # The interpreter multiplies bfloat16 wrongly and cannot fill FP8 with zeros; products of
        # either are exact in float32, so the sums are those of the tensor cores.
        x = tl.where(mask, tl.load(ptrs, mask=mask).to(tl.float32), 0.0)
    else:
        x = tl.load(ptrs, mask=mask, other=0)
    return x


@triton.jit
def _mm_kernel(a_ptr, b_ptr, c_ptr, M, N, K, s_am, s_ak, s_bk, s_bn, s_cm, s_cn,
               BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
               ACC: tl.constexpr, UPCAST: tl.constexpr):
    rm, rn = _output_tile(M, N, BLOCK_M, BLOCK_N, GROUP_M)
    rk = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + rm[:, None] * s_am + rk[None, :] * s_ak
    b_ptrs = b_ptr + rk[:, None] * s_bk + rn[None, :] * s_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a_mask = (rm[:, None] < M) & (rk[None, :] < k_left)
        b_mask = (rk[:, None] < k_left) & (rn[None, :] < N)
        a, b = _load_operand(a_ptrs, a_mask, UPCAST), _load_operand(b_ptrs, b_mask, UPCAST)
        acc = tl.dot(a, b, acc, out_dtype=ACC)
        a_ptrs += BLOCK_K * s_ak
        b_ptrs += BLOCK_K * s_bk
    c_ptrs = c_ptr + rm[:, None] * s_cm + rn[None, :] * s_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(rm[:, None] < M) & (rn[None, :] < N))


def _output_target(out: torch.Tensor, interpreting: bool) -> torch.Tensor:
    """Where a kernel writes ``out``: the interpreter truncates float32 to bfloat16, so there it
    writes float32 and the host rounds to nearest (copying back into ``out``), as the GPU does."""
    return torch.empty_like(out, dtype=torch.float32) if interpreting and out.dtype == torch.bfloat16 else out


def mm(A: torch.Tensor, B: torch.Tensor, out: torch.Tensor, acc_dtype: torch.dtype) -> None:
    """out (M, N) = A (M, K) @ B (K, N), accumulated in acc_dtype, on torch's current stream."""
    (M, K), N = A.shape, B.shape[1]
    interpreting = triton_interpreting()
    cfg = configs.pick(A.element_size(), interpreting)
    grid = (triton.cdiv(M, cfg.block_m) * triton.cdiv(N, cfg.block_n),)
    target = _output_target(out, interpreting)
    _mm_kernel[grid](
        A, B, target, M, N, K, A.stride(0), A.stride(1), B.stride(0), B.stride(1), target.stride(0), target.stride(1),
        BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_K=cfg.block_k, GROUP_M=cfg.group_m,
        ACC=_TL[acc_dtype], UPCAST=interpreting and A.dtype in (torch.bfloat16, torch.float8_e4m3fn, torch.float8_e5m2),
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    if target is not out:
        out.copy_(target)


@triton.jit
def _scaled_mm_kernel(a_ptr, b_ptr, c_ptr, sa_ptr, sb_ptr, bias_ptr, M, N, K, s_am, s_ak, s_bk, s_bn, s_cm, s_cn,
                      s_sam, s_sak, s_sbk, s_sbn, QM, QN, QK,
                      BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                      ACC: tl.constexpr, TILEWISE: tl.constexpr, HAS_BIAS: tl.constexpr, UPCAST: tl.constexpr):
    rm, rn = _output_tile(M, N, BLOCK_M, BLOCK_N, GROUP_M)
    rk = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + rm[:, None] * s_am + rk[None, :] * s_ak
    b_ptrs = b_ptr + rk[:, None] * s_bk + rn[None, :] * s_bn
    # Row-wise scales apply once to the whole sum (kept in ACC: exact int32 for int8); tile-wise
    # ones to each K block's partial sum, which lies in one scale group since BLOCK_K divides QK.
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32 if TILEWISE else ACC)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a_mask = (rm[:, None] < M) & (rk[None, :] < k_left)
        b_mask = (rk[:, None] < k_left) & (rn[None, :] < N)
        a, b = _load_operand(a_ptrs, a_mask, UPCAST), _load_operand(b_ptrs, b_mask, UPCAST)
        if TILEWISE:
            group = (k * BLOCK_K) // QK
            sa = tl.load(sa_ptr + (rm // QM) * s_sam + group * s_sak, mask=rm < M, other=0.0)
            sb = tl.load(sb_ptr + group * s_sbk + (rn // QN) * s_sbn, mask=rn < N, other=0.0)
            acc += tl.dot(a, b, out_dtype=ACC).to(tl.float32) * sa[:, None] * sb[None, :]
        else:
            acc = tl.dot(a, b, acc, out_dtype=ACC)
        a_ptrs += BLOCK_K * s_ak
        b_ptrs += BLOCK_K * s_bk
    out = acc.to(tl.float32)
    if not TILEWISE:
        sa = tl.load(sa_ptr + rm * s_sam, mask=rm < M, other=0.0)
        sb = tl.load(sb_ptr + rn * s_sbn, mask=rn < N, other=0.0)
        out = out * sa[:, None] * sb[None, :]
    if HAS_BIAS:
        out += tl.load(bias_ptr + rn, mask=rn < N, other=0.0).to(tl.float32)[None, :]
    c_ptrs = c_ptr + rm[:, None] * s_cm + rn[None, :] * s_cn
    tl.store(c_ptrs, out.to(c_ptr.dtype.element_ty), mask=(rm[:, None] < M) & (rn[None, :] < N))


def scaled_mm(A, B, scale_A, scale_B, bias, out, groups: tuple[int, int, int] | None) -> None:
    """out = A @ B with row-wise scales (groups None: scale_A (M, 1) or one value, scale_B (1, N) or
    one value, applied to the sum) or tile-wise ones (groups = (QM, QN, QK): scale_A (M/QM, K/QK),
    scale_B (K/QK, N/QN), applied to each K block), plus bias; scales float32, on torch's stream."""
    (M, K), N = A.shape, B.shape[1]
    interpreting = triton_interpreting()
    cfg = configs.pick(A.element_size(), interpreting)
    qm, qn, qk = groups or (1, 1, K)
    block_k = math.gcd(cfg.block_k, qk) if groups else cfg.block_k
    if groups:
        s_sam, s_sak, s_sbk, s_sbn = scale_A.stride(0), scale_A.stride(1), scale_B.stride(0), scale_B.stride(1)
    else:  # a single value broadcasts with stride 0
        s_sam = scale_A.stride(0) if scale_A.numel() > 1 else 0
        s_sbn = scale_B.stride(-1) if scale_B.numel() > 1 else 0
        s_sak = s_sbk = 0
    grid = (triton.cdiv(M, cfg.block_m) * triton.cdiv(N, cfg.block_n),)
    target = _output_target(out, interpreting)
    _scaled_mm_kernel[grid](
        A, B, target, scale_A, scale_B, bias if bias is not None else scale_A, M, N, K,
        A.stride(0), A.stride(1), B.stride(0), B.stride(1), target.stride(0), target.stride(1),
        s_sam, s_sak, s_sbk, s_sbn, qm, qn, qk,
        BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_K=block_k, GROUP_M=cfg.group_m,
        ACC=tl.int32 if A.dtype == torch.int8 else tl.float32, TILEWISE=groups is not None,
        HAS_BIAS=bias is not None, UPCAST=interpreting and A.dtype != torch.int8,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    if target is not out:
        out.copy_(target)
