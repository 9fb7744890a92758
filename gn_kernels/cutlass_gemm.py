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
from ._cutlass_args import OUT_DTYPES, check_bias, check_operands, empty_product, f32_vector
from .cutlass_block_scaled import run_block_scaled, unit_scale_factors
from .dispatch import check_backend, kernel_family, kernel_module, multiprocessor_count
from . import heuristics
from .heuristics import mma_sync, sm90a_block_scaled, sm90a_fp8, sm90a_int8

FP8_OPERANDS = (torch.float8_e4m3fn, torch.float8_e5m2)


def _check_fp8_mm(op: str, A: Tensor, B: Tensor, out_dtype: torch.dtype, operands=FP8_OPERANDS,
                  backend: str | None = None) -> tuple[int, int, int]:
    check_backend(op, backend)
    M, N, K = check_operands(op, A, B, operands)
    if A.dtype == B.dtype == torch.float8_e5m2:
        raise TypeError(f"{op}: A and B cannot both be float8_e5m2 (E5M2 pairs with E4M3, in either order)")
    checks.check_out_dtype(op, out_dtype, OUT_DTYPES)
    return M, N, K


def _check_f32_beside(op: str, name: str, t: Tensor, like: Tensor) -> None:
    """A float32 CUDA tensor on the device of ``like``."""
    checks.check_cuda(op, name, t)
    checks.check_same_device(op, A=like, **{name: t})
    checks.check_dtype(op, name, t, [torch.float32])


def _check_scale(op: str, name: str, scale: Tensor, vector_shape: tuple[int, int], like: Tensor) -> None:
    """A float32 scale of ``vector_shape`` ((M, 1) or (1, N)) or a single value (tensor-wise)."""
    _check_f32_beside(op, name, scale, like)
    if tuple(scale.shape) != vector_shape and not (scale.numel() == 1 and scale.dim() <= 2):
        raise ValueError(
            f"{op}: {name} must have shape {vector_shape} (one scale per {'row' if vector_shape[1] == 1 else 'column'}) "
            f"or hold a single value (tensor-wise); got shape {tuple(scale.shape)}"
        )


def _check_row_scaled(op, A, B, scale_A, scale_B, bias, out_dtype, int8=False, backend=None):
    if int8:
        M, N, K = check_operands(op, A, B, [torch.int8])
        checks.check_out_dtype(op, out_dtype, OUT_DTYPES)
    else:
        M, N, K = _check_fp8_mm(op, A, B, out_dtype, backend=backend)
    _check_scale(op, "scale_A", scale_A, (M, 1), A)
    _check_scale(op, "scale_B", scale_B, (1, N), A)
    check_bias(op, A, bias, N)
    return M, N, K


_SHORT = {torch.bfloat16: "bf16", torch.float16: "fp16", torch.float32: "fp32", torch.int32: "int32",
          torch.float8_e4m3fn: "e4m3", torch.float8_e5m2: "e5m2"}


def _chosen(config: str | None, max_swizzle: int | None, table_entry) -> tuple[str, int]:
    """The forced configuration (with the default tile walk unless one is forced), else the table's."""
    if config is None:
        return heuristics.split(table_entry())
    return config, heuristics.MAX_SWIZZLE if max_swizzle is None else max_swizzle


def fp8_instance(A: Tensor, B: Tensor, out_dtype: torch.dtype, fast_accum: bool, config: str) -> str:
    """The extension's name of one instantiated kernel, as fp8_gemm_instances() lists them."""
    acc = "fast" if fast_accum else "promoted"
    return f"{_SHORT[out_dtype]}_{acc}_{_SHORT[A.dtype]}_{_SHORT[B.dtype]}_{config}"


def _fp8_entry(arch: str, M: int, N: int, K: int, A: Tensor, B: Tensor, out_dtype, fast_accum: bool) -> str:
    if arch == "89":
        return mma_sync.pick_sm89_fp8(M, N, K)
    return sm90a_fp8.pick(M, N, K, _SHORT[out_dtype], _SHORT[A.dtype], _SHORT[B.dtype], fast_accum,
                          multiprocessor_count(A.device.index))


def _run_scaled(op, A, B, scale_A, scale_B, bias, out_dtype, fast_accum, config=None, max_swizzle=None,
                backend=None, splits=None) -> Tensor:
    M, N, K = A.shape[0], B.shape[1], A.shape[1]
    if (empty := empty_product(A, B, bias, out_dtype)) is not None:
        return empty
    family, module = kernel_family(op, A.device, backend)
    if family.arch == "120a":  # the MXFP8 kernels with unit block scales: see csrc/sm120a
        sfa, sfb = unit_scale_factors(M, N, K, A.device)
        return run_block_scaled(op, A, B, sfa, sfb, scale_A, scale_B, bias, out_dtype, "mxfp8")
    config, max_swizzle = _chosen(config, max_swizzle, lambda: _fp8_entry(family.arch, M, N, K, A, B, out_dtype, fast_accum))
    out = A.new_empty((M, N), dtype=out_dtype)
    args = [A, B, f32_vector(scale_A), f32_vector(scale_B), f32_vector(bias), out, fast_accum, config, max_swizzle]
    if family.arch == "90a":  # the family that splits K
        if splits is None:
            splits = sm90a_fp8.split_k(N, K, config, multiprocessor_count(A.device.index))
        args.append(splits)
    module.scaled_fp8_mm(*args)
    return out


def row_scaled_fp8_mm_with_config(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16,
                                  use_fast_accum=False, *, config: str, max_swizzle: int | None = None,
                                  splits: int = 1) -> Tensor:
    """cutlass_row_scaled_fp8_mm by a named tile configuration (and, on SM90a, number of K slices)
    rather than the shape table's choice: for tests, which run every configuration, and for the
    tuning sweep."""
    op = "cutlass_row_scaled_fp8_mm"
    _check_row_scaled(op, A, B, scale_A, scale_B, bias, out_dtype)
    return _run_scaled(op, A, B, scale_A, scale_B, bias, out_dtype, use_fast_accum, config, max_swizzle,
                       splits=splits)


@torch.library.custom_op("gn_kernels::cutlass_row_scaled_fp8_mm", mutates_args=())
def cutlass_row_scaled_fp8_mm(
    A: Tensor,
    B: Tensor,
    scale_A: Tensor,
    scale_B: Tensor,
    bias: Tensor | None = None,
    out_dtype: torch.dtype = torch.bfloat16,
    use_fast_accum: bool = False,
    backend: str = "auto",
) -> Tensor:
    """scale_A * (A @ B) * scale_B + bias, cast to ``out_dtype``, as torch._scaled_mm computes it.

    A (M, K) row-major and B (K, N) column-major, float8_e4m3fn or float8_e5m2
    (not both E5M2); scale_A float32 (M, 1), scale_B float32 (1, N), or either
    one value (tensor-wise); bias (N,) bfloat16, float16 or float32. Any M; N
    and K multiples of 16. use_fast_accum keeps the tensor cores' own FP8
    accumulation for all of K (faster, less accurate; for inference; SM120a has
    one mode and ignores it). backend "auto" runs the family for this GPU (SM120a
    on RTX 50, SM90a on Hopper, SM89 on Ada); "89", "90a" or "120a" forces one
    (SM89 runs on newer GPUs through PTX).
    """
    _check_row_scaled("cutlass_row_scaled_fp8_mm", A, B, scale_A, scale_B, bias, out_dtype, backend=backend)
    return _run_scaled("cutlass_row_scaled_fp8_mm", A, B, scale_A, scale_B, bias, out_dtype, use_fast_accum,
                       backend=backend)


@cutlass_row_scaled_fp8_mm.register_fake
def _(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16, use_fast_accum=False, backend="auto"):
    M, N, _ = _check_row_scaled("cutlass_row_scaled_fp8_mm", A, B, scale_A, scale_B, bias, out_dtype, backend=backend)
    return A.new_empty((M, N), dtype=out_dtype)


@torch.library.custom_op("gn_kernels::cutlass_fp8_mm", mutates_args=())
def cutlass_fp8_mm(A: Tensor, B: Tensor, out_dtype: torch.dtype = torch.bfloat16, backend: str = "auto") -> Tensor:
    """A (M, K) @ B (K, N) for float8_e4m3fn operands, float32 accumulation, cast to ``out_dtype``.

    A row-major, B column-major; any M; N and K multiples of 16; out_dtype
    bfloat16, float16 or float32; backend as for cutlass_row_scaled_fp8_mm.
    """
    _check_fp8_mm("cutlass_fp8_mm", A, B, out_dtype, [torch.float8_e4m3fn], backend)
    return _run_scaled("cutlass_fp8_mm", A, B, None, None, None, out_dtype, False, backend=backend)


@cutlass_fp8_mm.register_fake
def _(A: Tensor, B: Tensor, out_dtype: torch.dtype = torch.bfloat16, backend: str = "auto") -> Tensor:
    M, N, _ = _check_fp8_mm("cutlass_fp8_mm", A, B, out_dtype, [torch.float8_e4m3fn], backend)
    return A.new_empty((M, N), dtype=out_dtype)


# ---- INT8 ----------------------------------------------------------------------------------------


def _run_int8(op, A, B, scale_A, scale_B, bias, out_dtype, config=None, max_swizzle=None) -> Tensor:
    M, N, K = A.shape[0], B.shape[1], A.shape[1]
    if (empty := empty_product(A, B, bias, out_dtype)) is not None:
        return empty
    config, max_swizzle = _chosen(config, max_swizzle, lambda: sm90a_int8.pick(M, N, K, _SHORT[out_dtype]))
    out = A.new_empty((M, N), dtype=out_dtype)
    kernel_module(op, A.device).int8_mm(
        A, B, f32_vector(scale_A), f32_vector(scale_B), f32_vector(bias), out, config, max_swizzle)
    return out


def _check_int8_mm(op: str, A: Tensor, B: Tensor) -> tuple[int, int, int]:
    return check_operands(op, A, B, [torch.int8])


@torch.library.custom_op("gn_kernels::cutlass_int8_mm", mutates_args=())
def cutlass_int8_mm(A: Tensor, B: Tensor) -> Tensor:
    """A (M, K) @ B (K, N) for int8 operands, exact: int32 accumulation and an int32 output.

    A row-major, B column-major; any M; N and K multiples of 16. Sums past the int32 range wrap,
    which needs K above 2**31 / 128**2 = 131072.
    """
    _check_int8_mm("cutlass_int8_mm", A, B)
    return _run_int8("cutlass_int8_mm", A, B, None, None, None, torch.int32)


@cutlass_int8_mm.register_fake
def _(A: Tensor, B: Tensor) -> Tensor:
    M, N, _ = _check_int8_mm("cutlass_int8_mm", A, B)
    return A.new_empty((M, N), dtype=torch.int32)


@torch.library.custom_op("gn_kernels::cutlass_row_scaled_int8_mm", mutates_args=())
def cutlass_row_scaled_int8_mm(
    A: Tensor,
    B: Tensor,
    scale_A: Tensor,
    scale_B: Tensor,
    bias: Tensor | None = None,
    out_dtype: torch.dtype = torch.bfloat16,
) -> Tensor:
    """scale_A * (A @ B) * scale_B + bias for int8 A and B, the product exact in int32 and the
    scales and bias applied in float32, cast to ``out_dtype`` (bfloat16, float16 or float32).

    Layouts, scale and bias shapes as cutlass_row_scaled_fp8_mm: A (M, K) row-major, B (K, N)
    column-major, scale_A (M, 1), scale_B (1, N) or single values, bias (N,). Any M; N and K
    multiples of 16.
    """
    _check_row_scaled("cutlass_row_scaled_int8_mm", A, B, scale_A, scale_B, bias, out_dtype, int8=True)
    return _run_int8("cutlass_row_scaled_int8_mm", A, B, scale_A, scale_B, bias, out_dtype)


@cutlass_row_scaled_int8_mm.register_fake
def _(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16):
    M, N, _ = _check_row_scaled("cutlass_row_scaled_int8_mm", A, B, scale_A, scale_B, bias, out_dtype, int8=True)
    return A.new_empty((M, N), dtype=out_dtype)


def int8_mm_with_config(A, B, scale_A=None, scale_B=None, bias=None, out_dtype=torch.int32, *, config: str,
                        max_swizzle: int | None = None) -> Tensor:
    """The INT8 GEMMs by a named tile configuration: int32 out (no scales) or scaled, for tests and sweeps."""
    if out_dtype == torch.int32:
        _check_int8_mm("cutlass_int8_mm", A, B)
        return _run_int8("cutlass_int8_mm", A, B, None, None, None, out_dtype, config, max_swizzle)
    op = "cutlass_row_scaled_int8_mm"
    _check_row_scaled(op, A, B, scale_A, scale_B, bias, out_dtype, int8=True)
    return _run_int8(op, A, B, scale_A, scale_B, bias, out_dtype, config, max_swizzle)


# ---- block-scaled FP8 ------------------------------------------------------------------------------

BLOCK = 128  # DeepSeek-V3's blocks: 1x128 along K for A, 128x128 for B


def _check_block_scaled(op, A, B, scale_A, scale_B, bias, out_dtype) -> tuple[int, int, int]:
    M, N, K = check_operands(op, A, B, [torch.float8_e4m3fn])
    checks.check_out_dtype(op, out_dtype, OUT_DTYPES)
    checks.check_multiple(op, "N (B.shape[1])", N, BLOCK)
    checks.check_multiple(op, "K (A.shape[1])", K, BLOCK)
    for name, scale, shape in (("scale_A", scale_A, (M, K // BLOCK)), ("scale_B", scale_B, (K // BLOCK, N // BLOCK))):
        _check_f32_beside(op, name, scale, A)
        if tuple(scale.shape) != shape:
            raise ValueError(f"{op}: {name} must have shape {shape}; got {tuple(scale.shape)}")
    check_bias(op, A, bias, N)
    return M, N, K


def _run_block_scaled(A, B, scale_A, scale_B, bias, out_dtype, config=None, max_swizzle=None) -> Tensor:
    M, N, K = A.shape[0], B.shape[1], A.shape[1]
    if (empty := empty_product(A, B, bias, out_dtype)) is not None:
        return empty
    config, max_swizzle = _chosen(config, max_swizzle, lambda: sm90a_block_scaled.pick(M, N, K, _SHORT[out_dtype]))
    sA, sB = block_scales_for_kernel(scale_A, scale_B)
    out = A.new_empty((M, N), dtype=out_dtype)
    kernel_module("cutlass_block_scaled_fp8_mm", A.device).block_scaled_fp8_mm(
        A, B, sA, sB, f32_vector(bias), out, config, max_swizzle)
    return out


def block_scaled_fp8_mm_with_config(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16, *, config: str,
                                    max_swizzle: int | None = None) -> Tensor:
    """cutlass_block_scaled_fp8_mm by a named tile configuration, for tests and sweeps."""
    _check_block_scaled("cutlass_block_scaled_fp8_mm", A, B, scale_A, scale_B, bias, out_dtype)
    return _run_block_scaled(A, B, scale_A, scale_B, bias, out_dtype, config, max_swizzle)


def block_scales_for_kernel(scale_A: Tensor, scale_B: Tensor) -> tuple[Tensor, Tensor]:
    """The scales in the memory order the kernel reads: scale_A (M, K/128) row-major (K-major, as
    quantize_fp8_groupwise makes it) and scale_B (K/128, N/128) column-major (the transpose of the
    (N/128, K/128) that quantize_fp8_blockwise makes for a weight). Either order is accepted; the
    other is copied, M x K/128 or N/128 x K/128 values."""
    return scale_A.contiguous(), scale_B.t().contiguous().t()


@torch.library.custom_op("gn_kernels::cutlass_block_scaled_fp8_mm", mutates_args=())
def cutlass_block_scaled_fp8_mm(
    A: Tensor,
    B: Tensor,
    scale_A: Tensor,
    scale_B: Tensor,
    bias: Tensor | None = None,
    out_dtype: torch.dtype = torch.bfloat16,
) -> Tensor:
    """A @ B with DeepSeek-V3 block scaling, plus bias, cast to ``out_dtype``.

    A (M, K) row-major E4M3 with scale_A float32 (M, K/128): one scale per row and 128 of K.
    B (K, N) column-major E4M3 with scale_B float32 (K/128, N/128): one per 128x128 block.
    The kernel scales each 128-deep partial product as it accumulates in float32. Any M;
    N and K multiples of 128; bias (N,) bfloat16, float16 or float32.
    """
    _check_block_scaled("cutlass_block_scaled_fp8_mm", A, B, scale_A, scale_B, bias, out_dtype)
    return _run_block_scaled(A, B, scale_A, scale_B, bias, out_dtype)


@cutlass_block_scaled_fp8_mm.register_fake
def _(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16):
    M, N, _ = _check_block_scaled("cutlass_block_scaled_fp8_mm", A, B, scale_A, scale_B, bias, out_dtype)
    return A.new_empty((M, N), dtype=out_dtype)


# ---- INT4 (SM80 mma.sync; newer GPUs through PTX) -----------------------------------------------

INT4_K = "A.shape[1] (K/2: two INT4 values a byte)"


def _check_int4(op, A, B) -> tuple[int, int]:
    M, N, _ = check_operands(op, A, B, [torch.int8], k_what=INT4_K)
    return M, N


def _check_row_scaled_int4(op, A, B, scale_A, scale_B, bias, out_dtype) -> tuple[int, int]:
    M, N = _check_int4(op, A, B)
    checks.check_out_dtype(op, out_dtype, OUT_DTYPES)
    _check_scale(op, "scale_A", scale_A, (M, 1), A)
    _check_scale(op, "scale_B", scale_B, (1, N), A)
    check_bias(op, A, bias, N)
    return M, N


def _run_int4(op, A, B, scale_A, scale_B, bias, out_dtype) -> Tensor:
    M, N, K = A.shape[0], B.shape[1], 2 * A.shape[1]
    if (empty := empty_product(A, B, bias, out_dtype)) is not None:
        return empty
    out = A.new_empty((M, N), dtype=out_dtype)
    kernel_module(op, A.device).int4_mm(A, B, f32_vector(scale_A), f32_vector(scale_B), f32_vector(bias), out,
                                         mma_sync.pick_sm80_int4(M, N, K))
    return out


@torch.library.custom_op("gn_kernels::cutlass_int4_mm", mutates_args=())
def cutlass_int4_mm(A: Tensor, B: Tensor) -> Tensor:
    """A @ B for signed INT4 operands packed two a byte along K, exact in int32.

    A (M, K/2) int8, row-major, and B (K/2, N) int8, column-major, each byte holding
    two INT4 values of K with element 2i in the low nibble (``pack_int4`` makes them:
    for a weight W (N, K), B = pack_int4(W).T). Any M; N a multiple of 16 and K of 32.
    Sums saturate at the int32 limits, which needs K above 2**31 / 64.
    """
    _check_int4("cutlass_int4_mm", A, B)
    return _run_int4("cutlass_int4_mm", A, B, None, None, None, torch.int32)


@cutlass_int4_mm.register_fake
def _(A: Tensor, B: Tensor) -> Tensor:
    M, N = _check_int4("cutlass_int4_mm", A, B)
    return A.new_empty((M, N), dtype=torch.int32)


@torch.library.custom_op("gn_kernels::cutlass_row_scaled_int4_mm", mutates_args=())
def cutlass_row_scaled_int4_mm(
    A: Tensor,
    B: Tensor,
    scale_A: Tensor,
    scale_B: Tensor,
    bias: Tensor | None = None,
    out_dtype: torch.dtype = torch.bfloat16,
) -> Tensor:
    """scale_A * (A @ B) * scale_B + bias for packed INT4 A and B (as cutlass_int4_mm), the
    product exact in int32 and the scales and bias applied in float32, cast to ``out_dtype``
    (bfloat16, float16 or float32). scale_A (M, 1), scale_B (1, N), or single values; bias (N,).
    """
    _check_row_scaled_int4("cutlass_row_scaled_int4_mm", A, B, scale_A, scale_B, bias, out_dtype)
    return _run_int4("cutlass_row_scaled_int4_mm", A, B, scale_A, scale_B, bias, out_dtype)


@cutlass_row_scaled_int4_mm.register_fake
def _(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16):
    M, N = _check_row_scaled_int4("cutlass_row_scaled_int4_mm", A, B, scale_A, scale_B, bias, out_dtype)
    return A.new_empty((M, N), dtype=out_dtype)
