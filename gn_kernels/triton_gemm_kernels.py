"""The Triton GEMM kernel behind gn_kernels.triton_gemm: checks, schemas and dtype rules live
there; launch configurations in gn_kernels/heuristics/triton_mm.py."""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl

from .heuristics import triton_mm as configs

_TL = {torch.float32: tl.float32, torch.float16: tl.float16, torch.int32: tl.int32}


@triton.jit
def _mm_kernel(a_ptr, b_ptr, c_ptr, M, N, K, s_am, s_ak, s_bk, s_bn, s_cm, s_cn,
               BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
               ACC: tl.constexpr, UPCAST: tl.constexpr):
    pid = tl.program_id(0)
    tiles_m, tiles_n = tl.cdiv(M, BLOCK_M), tl.cdiv(N, BLOCK_N)
    band = GROUP_M * tiles_n
    first_m = (pid // band) * GROUP_M
    band_m = tl.minimum(tiles_m - first_m, GROUP_M)
    pid_m = first_m + (pid % band) % band_m
    pid_n = (pid % band) // band_m
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + rm[:, None] * s_am + rk[None, :] * s_ak
    b_ptrs = b_ptr + rk[:, None] * s_bk + rn[None, :] * s_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a_mask = (rm[:, None] < M) & (rk[None, :] < k_left)
        b_mask = (rk[:, None] < k_left) & (rn[None, :] < N)
        if UPCAST:
            # The interpreter multiplies bfloat16 wrongly and cannot fill FP8 with zeros; products
            # of either are exact in float32, so the sums are those of the tensor cores.
            a = tl.where(a_mask, tl.load(a_ptrs, mask=a_mask).to(tl.float32), 0.0)
            b = tl.where(b_mask, tl.load(b_ptrs, mask=b_mask).to(tl.float32), 0.0)
        else:
            a = tl.load(a_ptrs, mask=a_mask, other=0)
            b = tl.load(b_ptrs, mask=b_mask, other=0)
        acc = tl.dot(a, b, acc, out_dtype=ACC)
        a_ptrs += BLOCK_K * s_ak
        b_ptrs += BLOCK_K * s_bk
    c_ptrs = c_ptr + rm[:, None] * s_cm + rn[None, :] * s_cn
    tl.store(c_ptrs, acc.to(c_ptr.dtype.element_ty), mask=(rm[:, None] < M) & (rn[None, :] < N))


def mm(A: torch.Tensor, B: torch.Tensor, out: torch.Tensor, acc_dtype: torch.dtype) -> None:
    """out (M, N) = A (M, K) @ B (K, N), accumulated in acc_dtype, on torch's current stream."""
    (M, K), N = A.shape, B.shape[1]
    interpreting = os.environ.get("TRITON_INTERPRET") == "1"
    cfg = configs.pick(A.element_size(), interpreting)
    grid = (triton.cdiv(M, cfg.block_m) * triton.cdiv(N, cfg.block_n),)
    # The interpreter truncates float32 to bfloat16; there the host rounds to nearest, as the GPU does.
    target = torch.empty_like(out, dtype=torch.float32) if interpreting and out.dtype == torch.bfloat16 else out
    _mm_kernel[grid](
        A, B, target, M, N, K, A.stride(0), A.stride(1), B.stride(0), B.stride(1), target.stride(0), target.stride(1),
        BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_K=cfg.block_k, GROUP_M=cfg.group_m,
        ACC=_TL[acc_dtype], UPCAST=interpreting and A.dtype in (torch.bfloat16, torch.float8_e4m3fn, torch.float8_e5m2),
        num_warps=cfg.num_warps, num_stages=cfg.num_stages,
    )
    if target is not out:
        out.copy_(target)
