"""Argument helpers shared by the CUTLASS GEMM ops (cutlass_gemm.py, cutlass_block_scaled.py)."""

from __future__ import annotations

import torch
from torch import Tensor

from . import checks

OUT_DTYPES = (torch.bfloat16, torch.float16, torch.float32)
# TMA (and cp.async) move 16-byte rows: K must span a whole number of 16-byte chunks of one-byte
# operands and N a whole number of 16-byte chunks of the widest output (float32). 16 keeps one
# rule for every output dtype.
NK_MULTIPLE = 16
BIAS_DTYPES = (torch.bfloat16, torch.float16, torch.float32)


def check_aligned_start(op: str, name: str, t: Tensor) -> None:
    # The caching allocator hands out 512-byte aligned blocks; a view that
    # starts inside one must still start on a 16-byte boundary for TMA.
    # Dynamo cannot trace storage_offset (scaled_mm's routing calls this check inside
    # torch.compile); the op's eager implementation checks again when it runs.
    if torch.compiler.is_compiling():
        return
    if (t.storage_offset() * t.element_size()) % 16 != 0:
        raise ValueError(f"{op}: {name} must start on a 16-byte boundary; got storage offset {t.storage_offset()}")


def check_operands(op: str, A: Tensor, B: Tensor, operands, k_what: str = "K (A.shape[1])",
                   k_multiple: int = NK_MULTIPLE) -> tuple[int, int, int]:
    """One-byte operands (FP4 pairs count as one): A (M, K) row-major, B (K, N) column-major, on one
    CUDA device, with 16-byte rows and starts. Returns M, N and A.shape[1]."""
    checks.check_cuda(op, "A", A)
    checks.check_cuda(op, "B", B)
    checks.check_same_device(op, A=A, B=B)
    checks.check_dtype(op, "A", A, operands)
    checks.check_dtype(op, "B", B, operands)
    M, N, K = checks.check_matmul_shapes(op, A, B)
    checks.check_row_major(op, "A", A)
    checks.check_col_major(op, "B", B)
    checks.check_multiple(op, "N (B.shape[1])", N, NK_MULTIPLE)
    checks.check_multiple(op, k_what, K, k_multiple)
    check_aligned_start(op, "A", A)
    check_aligned_start(op, "B", B)
    return M, N, K


def check_bias(op, A, bias, N) -> None:
    if bias is not None:
        checks.check_cuda(op, "bias", bias)
        checks.check_same_device(op, A=A, bias=bias)
        checks.check_dtype(op, "bias", bias, BIAS_DTYPES)
        if tuple(bias.shape) != (N,):
            raise ValueError(f"{op}: bias must have shape (N,) = ({N},); got {tuple(bias.shape)}")


def empty_product(A, B, bias, out_dtype) -> Tensor | None:
    """The output when M, N or K is 0, where no kernel runs; None otherwise."""
    M, N, K = A.shape[0], B.shape[1], A.shape[1]
    if M == 0 or N == 0:
        return A.new_empty((M, N), dtype=out_dtype)
    if K == 0:  # an empty sum: only the bias remains
        out = A.new_zeros((M, N), dtype=torch.float32)
        return (out if bias is None else out + bias.float()).to(out_dtype)
    return None


def f32_vector(t: Tensor | None) -> Tensor | None:
    # The kernel reads float32, contiguous scales and bias; a copy, when one is made, is of M or N values.
    return None if t is None else t.float().contiguous()
