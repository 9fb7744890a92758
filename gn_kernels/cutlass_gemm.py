"""CUTLASS GEMMs as torch custom ops.

Each op sits here with its schema (from the signature), argument checks, fake
kernel and eager wrapper; the C++ extensions only implement. Layouts follow
torch._scaled_mm: A (M, K) row-major, B (K, N) column-major (B.T contiguous),
the output (M, N) row-major.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import checks
from .dispatch import kernel_module

FP8_OUT_DTYPES = (torch.bfloat16, torch.float16, torch.float32)
# TMA moves 16-byte rows: K must span a whole number of 16-byte FP8 chunks and
# N a whole number of 16-byte chunks of the widest output (float32). 16 keeps
# one rule for every output dtype.
FP8_NK_MULTIPLE = 16


def _check_aligned_start(op: str, name: str, t: Tensor) -> None:
    # The caching allocator hands out 512-byte aligned blocks; a view that
    # starts inside one must still start on a 16-byte boundary for TMA.
    if (t.storage_offset() * t.element_size()) % 16 != 0:
        raise ValueError(f"{op}: {name} must start on a 16-byte boundary; got storage offset {t.storage_offset()}")


def _check_fp8_mm(op: str, A: Tensor, B: Tensor, out_dtype: torch.dtype) -> tuple[int, int, int]:
    checks.check_cuda(op, "A", A)
    checks.check_cuda(op, "B", B)
    checks.check_same_device(op, A=A, B=B)
    checks.check_dtype(op, "A", A, [torch.float8_e4m3fn])
    checks.check_dtype(op, "B", B, [torch.float8_e4m3fn])
    checks.check_out_dtype(op, out_dtype, FP8_OUT_DTYPES)
    M, N, K = checks.check_matmul_shapes(op, A, B)
    checks.check_row_major(op, "A", A)
    checks.check_col_major(op, "B", B)
    checks.check_multiple(op, "N (B.shape[1])", N, FP8_NK_MULTIPLE)
    checks.check_multiple(op, "K (A.shape[1])", K, FP8_NK_MULTIPLE)
    _check_aligned_start(op, "A", A)
    _check_aligned_start(op, "B", B)
    return M, N, K


@torch.library.custom_op("gn_kernels::cutlass_fp8_mm", mutates_args=())
def cutlass_fp8_mm(A: Tensor, B: Tensor, out_dtype: torch.dtype = torch.bfloat16) -> Tensor:
    """A (M, K) @ B (K, N) for float8_e4m3fn operands, float32 accumulation, cast to ``out_dtype``.

    A row-major, B column-major; any M; N and K multiples of 16; out_dtype
    bfloat16, float16 or float32.
    """
    M, N, K = _check_fp8_mm("cutlass_fp8_mm", A, B, out_dtype)
    if M == 0 or N == 0 or K == 0:
        return A.new_zeros((M, N), dtype=out_dtype)
    out = A.new_empty((M, N), dtype=out_dtype)
    kernel_module("cutlass_fp8_mm", A.device).fp8_mm(A, B, out)
    return out


@cutlass_fp8_mm.register_fake
def _(A: Tensor, B: Tensor, out_dtype: torch.dtype = torch.bfloat16) -> Tensor:
    M, N, _ = _check_fp8_mm("cutlass_fp8_mm", A, B, out_dtype)
    return A.new_empty((M, N), dtype=out_dtype)
