"""One front door: ``scaled_mm`` runs the fastest kernel this install has for the operands' format
and scale granularity on this GPU; ``explain`` says which one a call takes and why the others
were passed over.

    out = gn_kernels.scaled_mm(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16,
                               use_fast_accum=False, backend="auto")

Layouts and scales follow torch._scaled_mm: A (M, K), B (K, N), out (M, N). The granularity is
read from the scales:

| granularity | operands                 | scale_A            | scale_B              |
|-------------|--------------------------|--------------------|----------------------|
| tensor      | FP8 or int8              | one value          | one value            |
| row         | FP8 or int8              | (M, 1)             | (1, N)               |
| block       | FP8 or int8              | (M, K/128) float32 | (K/128, N/128) float32 |
| mx          | MXFP8, MXFP4 (FP4_DTYPE) | (M, K/32) E8M0     | (K/32, N) E8M0       |
| nv          | NVFP4 (FP4_DTYPE)        | (M, K/16) E4M3     | (K/16, N) E4M3, plus ``output_scale`` |

ROUTES lists, per granularity and operand type, the kernels in order of preference (their
measured speed on the H100, benchmarks/results/); the first whose GPU family this install has and
whose own checks accept the call runs it. ``backend="cutlass"`` or ``"triton"`` keeps only that
backend's routes. Whatever the route, the result is the same product within the accumulation
bound of the kernel (tests/test_routing.py compares them). ``use_fast_accum`` permits, and does
not require, the tensor cores' own FP8 accumulation; routes without it are more accurate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from . import cutlass_block_scaled, cutlass_gemm, triton_block_scaled, triton_gemm
from .dispatch import KernelUnavailableError, kernel_module

FP8 = (torch.float8_e4m3fn, torch.float8_e5m2)
BACKENDS = ("auto", "cutlass", "triton")


@dataclass(frozen=True)
class Route:
    granularity: str
    operands: str  # "fp8", "int8" or "fp4"
    backend: str
    op: str  # a gn_kernels op
    check: Callable  # the op's own argument checks: (A, B, scale_A, scale_B, bias, out_dtype, output_scale)
    run: Callable  # (A, B, scale_A, scale_B, bias, out_dtype, use_fast_accum, output_scale) -> Tensor


def _cutlass_row(int8: bool):
    op = "cutlass_row_scaled_int8_mm" if int8 else "cutlass_row_scaled_fp8_mm"

    def check(A, B, sA, sB, bias, out_dtype, output_scale):
        cutlass_gemm._check_row_scaled(op, A, B, sA, sB, bias, out_dtype, int8=int8)

    def run(A, B, sA, sB, bias, out_dtype, fast, output_scale):
        if int8:
            return cutlass_gemm.cutlass_row_scaled_int8_mm(A, B, sA, sB, bias, out_dtype)
        return cutlass_gemm.cutlass_row_scaled_fp8_mm(A, B, sA, sB, bias, out_dtype, fast)

    return op, check, run


def _cutlass_block():
    op = "cutlass_block_scaled_fp8_mm"

    def check(A, B, sA, sB, bias, out_dtype, output_scale):
        cutlass_gemm._check_block_scaled(op, A, B, sA, sB, bias, out_dtype)

    def run(A, B, sA, sB, bias, out_dtype, fast, output_scale):
        return cutlass_gemm.cutlass_block_scaled_fp8_mm(A, B, sA, sB, bias, out_dtype)

    return op, check, run


def _cutlass_block_format(fmt: str):
    """The SM120a MXFP8, MXFP4 or NVFP4 GEMM; MX takes no output scale, NVFP4 needs one."""
    op = f"cutlass_{fmt}_mm"
    fn = getattr(cutlass_block_scaled, op)

    def check(A, B, sA, sB, bias, out_dtype, output_scale):
        cutlass_block_scaled.check_block_scaled(fmt, A, B, sA, sB, bias, out_dtype, output_scale)

    def run(A, B, sA, sB, bias, out_dtype, fast, output_scale):
        if fmt == "nvfp4":
            return fn(A, B, sA, sB, output_scale, bias, out_dtype)
        return fn(A, B, sA, sB, bias, out_dtype)

    return op, check, run


def _triton_scaled():
    def check(A, B, sA, sB, bias, out_dtype, output_scale):
        triton_gemm._check_scaled("triton_scaled_mm", A, B, sA, sB, out_dtype, bias)

    def run(A, B, sA, sB, bias, out_dtype, fast, output_scale):
        return triton_gemm.triton_scaled_mm(A, B, sA, sB, out_dtype, bias, fast)

    return "triton_scaled_mm", check, run


def _triton_block(fmt: Callable[[Tensor], str]):
    def check(A, B, sA, sB, bias, out_dtype, output_scale):
        if bias is not None:
            raise ValueError("triton_block_scaled_mm takes no bias")
        triton_block_scaled._check("triton_block_scaled_mm", A, B, sA, sB, fmt(A), out_dtype, output_scale)

    def run(A, B, sA, sB, bias, out_dtype, fast, output_scale):
        return triton_block_scaled.triton_block_scaled_mm(A, B, sA, sB, fmt(A), out_dtype, output_scale)

    return "triton_block_scaled_mm", check, run


def _mx_format(A: Tensor) -> str:
    return "mxfp8" if A.dtype in FP8 else "mxfp4"


# Preference order per (granularity, operands), from the H100 runs (2026-11-23): CUTLASS row-wise
# FP8 0.97x cuBLAS at M >= 512 and 1.19x at M <= 16, Triton 0.93x and 1.13x; CUTLASS row-scaled int8
# 1.71x torch._int_mm at M >= 512, Triton 1.37x; CUTLASS block-scaled FP8 0.89x cuBLAS's block-wise,
# Triton's tile-wise 0.65x cuBLAS row-wise. The Triton routes take what CUTLASS refuses (odd N or K,
# other layouts, GPUs without an SM90a build, CPU tensors under TRITON_INTERPRET=1). The SM120a MX
# and NV routes come first by the same rule, unmeasured: no SM120 GPU has run them yet.
ROUTES: list[Route] = [
    Route("tensor", "fp8", "cutlass", *_cutlass_row(int8=False)),
    Route("tensor", "fp8", "triton", *_triton_scaled()),
    Route("row", "fp8", "cutlass", *_cutlass_row(int8=False)),
    Route("row", "fp8", "triton", *_triton_scaled()),
    Route("tensor", "int8", "cutlass", *_cutlass_row(int8=True)),
    Route("tensor", "int8", "triton", *_triton_scaled()),
    Route("row", "int8", "cutlass", *_cutlass_row(int8=True)),
    Route("row", "int8", "triton", *_triton_scaled()),
    Route("block", "fp8", "cutlass", *_cutlass_block()),
    Route("block", "fp8", "triton", *_triton_scaled()),
    Route("block", "int8", "triton", *_triton_scaled()),
    Route("mx", "fp8", "cutlass", *_cutlass_block_format("mxfp8")),
    Route("mx", "fp8", "triton", *_triton_block(_mx_format)),
    Route("mx", "fp4", "cutlass", *_cutlass_block_format("mxfp4")),
    Route("mx", "fp4", "triton", *_triton_block(_mx_format)),
    Route("nv", "fp4", "cutlass", *_cutlass_block_format("nvfp4")),
    Route("nv", "fp4", "triton", *_triton_block(lambda A: "nvfp4")),
]


def _single(s: Tensor) -> bool:
    return s.numel() == 1 and s.dim() <= 2


def granularity(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor) -> str:
    """tensor, row, block, mx or nv, from the scales' dtypes and shapes (ValueError if none fits)."""
    if scale_A.dtype == torch.float8_e8m0fnu:
        return "mx"
    if scale_A.dtype == torch.float8_e4m3fn:
        return "nv"
    M, N = A.shape[0], B.shape[1]
    if _single(scale_A) and _single(scale_B):
        return "tensor"
    if (_single(scale_A) or tuple(scale_A.shape) == (M, 1)) and (_single(scale_B) or tuple(scale_B.shape) == (1, N)):
        return "row"
    if scale_A.dim() == 2 and scale_B.dim() == 2:
        return "block"
    raise ValueError(f"scaled_mm: scales of shapes {tuple(scale_A.shape)} and {tuple(scale_B.shape)} are neither "
                     "tensor-wise, row-wise, block-wise nor MX/NV block scales; see gn_kernels.routing")


def operand_kind(A: Tensor) -> str:
    """fp8, int8 or fp4: the operand type the routes are keyed by."""
    if A.dtype in FP8:
        return "fp8"
    return "int8" if A.dtype == torch.int8 else "fp4"


@torch.compiler.assume_constant_result
def _missing_extension(op: str, device_index: int) -> str:
    """Why this install cannot run ``op`` on that GPU ("" if it can). Fixed for the process, so
    torch.compile takes the answer as a constant instead of tracing the extension's import."""
    try:
        kernel_module(op, torch.device("cuda", device_index))
    except KernelUnavailableError as e:
        return str(e)
    return ""


def _unavailable(route: Route, A: Tensor) -> str | None:
    """Why ``route`` cannot run here, as far as the install and device go; None if it can."""
    if route.backend == "cutlass":
        if A.device.type != "cuda":
            return "CUTLASS kernels run on CUDA tensors only"
        index = A.device.index if A.device.index is not None else torch.cuda.current_device()
        return _missing_extension(route.op, index) or None
    return None


def _consider(A, B, scale_A, scale_B, bias, out_dtype, output_scale, backend) -> tuple[Route | None, list[str]]:
    if backend not in BACKENDS:
        raise ValueError(f"scaled_mm: backend must be one of {list(BACKENDS)}; got {backend!r}")
    kind, operands = granularity(A, B, scale_A, scale_B), operand_kind(A)
    lines = [f"granularity {kind}, {operands} operands {tuple(A.shape)} @ {tuple(B.shape)}"]
    for route in ROUTES:
        if (route.granularity, route.operands) != (kind, operands) or backend not in ("auto", route.backend):
            continue
        why = _unavailable(route, A)
        if why is None:
            try:
                route.check(A, B, scale_A, scale_B, bias, out_dtype, output_scale)
            except (TypeError, ValueError) as e:
                why = str(e)
        if why is None:
            lines.append(f"takes {route.op} ({route.backend})")
            return route, lines
        lines.append(f"passes over {route.op} ({route.backend}): {why}")
    return None, lines


def explain(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, bias: Tensor | None = None,
            out_dtype: torch.dtype = torch.bfloat16, use_fast_accum: bool = False, backend: str = "auto",
            output_scale: Tensor | None = None) -> str:
    """Which kernel ``scaled_mm`` with these arguments runs, and why each one before it was passed over."""
    return "\n".join(_consider(A, B, scale_A, scale_B, bias, out_dtype, output_scale, backend)[1])


def scaled_mm(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, bias: Tensor | None = None,
              out_dtype: torch.dtype = torch.bfloat16, use_fast_accum: bool = False, backend: str = "auto",
              output_scale: Tensor | None = None) -> Tensor:
    """(A @ B) dequantized by its scales, plus bias, in ``out_dtype``, by the kernel ROUTES prefer;
    ``output_scale`` multiplies NVFP4 products (the two tensor scales' product)."""
    route, lines = _consider(A, B, scale_A, scale_B, bias, out_dtype, output_scale, backend)
    if route is None:
        raise ValueError("scaled_mm: no kernel takes these arguments:\n  " + "\n  ".join(lines))
    return route.run(A, B, scale_A, scale_B, bias, out_dtype, use_fast_accum, output_scale)
