"""SM120a block-scaled CUTLASS GEMMs (MXFP8, MXFP4, NVFP4) as torch custom ops.

Operands as torch._scaled_mm takes them: A (M, K) row-major, B (K, N) column-major, FP4
packed two a byte along K (``FP4_DTYPE``, A (M, K/2), B (K/2, N)). Block scales as the
quantizers return them: ``scale_A`` (M, K/block) for A, and for B the transpose of a weight's,
``scale_B`` (K/block, N), i.e. ``quantize_mx(W)[1].T``; or either one already packed by
``pack_block_scales_nv`` (1-D, rows padded to 128 and K blocks to 4), taken as it is.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import checks
from ._cutlass_args import OUT_DTYPES, check_bias, check_operands, empty_product, f32_vector
from .dispatch import kernel_module
from .heuristics import sm120a
from .quant.formats import FP4_DTYPE, MX_BLOCK, NVFP4_BLOCK
from .quant.scale_layout import pack_block_scales_nv

E8M0 = torch.float8_e8m0fnu
FP8 = (torch.float8_e4m3fn, torch.float8_e5m2)
# MX scales cover 32 values of K, and 16-byte TMA rows hold 32 FP4 values: K a multiple of 32 in
# every format (NVFP4's 16-blocks included).
K_MULTIPLE = 32


def packed_scale_count(rows: int, blocks: int) -> int:
    """Elements of a (rows, blocks) scale matrix once packed: rows to 128, blocks to 4."""
    return -(-rows // 128) * 128 * (-(-blocks // 4) * 4)


def _check_operands(op: str, A: Tensor, B: Tensor, operands) -> tuple[int, int, int]:
    """M, N and K (in values: twice the bytes for FP4) of A (M, K) row-major and B (K, N) column-major."""
    if A.dtype == FP4_DTYPE:  # 16 bytes of packed pairs are 32 values of K
        M, N, K = check_operands(op, A, B, operands, "A.shape[1] (K/2: two FP4 values a byte)")
        return M, N, 2 * K
    return check_operands(op, A, B, operands, k_multiple=K_MULTIPLE)


def _check_block_scales(op: str, name: str, scale: Tensor, shape: tuple[int, int], dtype: torch.dtype, like: Tensor,
                        transposed: bool = False):
    """(rows, K/block) scales, or (K/block, rows) when ``transposed`` (scale_B), or 1-D already packed."""
    checks.check_cuda(op, name, scale)
    checks.check_same_device(op, A=like, **{name: scale})
    checks.check_dtype(op, name, scale, [dtype])
    rows, blocks = (shape[1], shape[0]) if transposed else shape
    packed = packed_scale_count(rows, blocks)
    if tuple(scale.shape) != shape and tuple(scale.shape) != (packed,):
        raise ValueError(f"{op}: {name} must have shape {shape}, or ({packed},) already packed by "
                         f"pack_block_scales_nv; got {tuple(scale.shape)}")


# format -> (operand dtypes, values of K per block scale, block scale dtype)
FORMATS = {
    "mxfp8": (FP8, MX_BLOCK, E8M0),
    "mxfp4": ((FP4_DTYPE,), MX_BLOCK, E8M0),
    "nvfp4": ((FP4_DTYPE,), NVFP4_BLOCK, torch.float8_e4m3fn),
}


def check_block_scaled(fmt: str, A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, bias: Tensor | None,
                       out_dtype: torch.dtype, output_scale: Tensor | None = None) -> tuple[int, int, int]:
    """Every check of ``cutlass_<fmt>_mm``'s arguments (NVFP4 needs output_scale, MX takes none); M, N, K."""
    op = f"cutlass_{fmt}_mm"
    operands, block, scale_dtype = FORMATS[fmt]
    M, N, K = _check_operands(op, A, B, operands)
    checks.check_out_dtype(op, out_dtype, OUT_DTYPES)
    _check_block_scales(op, "scale_A", scale_A, (M, K // block), scale_dtype, A)
    _check_block_scales(op, "scale_B", scale_B, (K // block, N), scale_dtype, A, transposed=True)
    check_bias(op, A, bias, N)
    if fmt != "nvfp4":
        if output_scale is not None:
            raise ValueError(f"{op} takes no output_scale")
        return M, N, K
    if output_scale is None:
        raise ValueError(f"{op} needs output_scale")
    checks.check_cuda(op, "output_scale", output_scale)
    checks.check_dtype(op, "output_scale", output_scale, [torch.float32])
    if output_scale.numel() != 1:
        raise ValueError(f"{op}: output_scale must hold one value (tensor_scale_A * tensor_scale_B); "
                         f"got shape {tuple(output_scale.shape)}")
    return M, N, K


def scale_factors(scale_A: Tensor, scale_B: Tensor) -> tuple[Tensor, Tensor]:
    """Both operands' scales in the swizzled layout the kernels read (B's keyed by its N rows)."""
    sfa = scale_A if scale_A.dim() == 1 else pack_block_scales_nv(scale_A)
    sfb = scale_B if scale_B.dim() == 1 else pack_block_scales_nv(scale_B.t())
    return sfa.contiguous(), sfb.contiguous()


# Per device, the longest run of unit scales asked for so far; callers take a prefix and only read it.
_UNIT_SCALES: dict[torch.device, Tensor] = {}


def _unit_scales(count: int, device: torch.device) -> Tensor:
    ones = _UNIT_SCALES.get(device)
    if ones is not None and ones.numel() >= count:
        return ones[:count]
    ones = torch.full((count,), 127, dtype=torch.uint8, device=device)
    # Made while a CUDA graph is captured, the fill would only run at replay: such a buffer serves
    # that call alone and is not kept.
    if device.type != "cuda" or not torch.cuda.is_current_stream_capturing():
        _UNIT_SCALES[device] = ones
    return ones


def unit_scale_factors(M: int, N: int, K: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """E8M0 scales of 1 (byte 127) for every 32 of K: FP8 GEMMs run on the MXFP8 kernels with them.
    Shared between calls (one buffer per device), so they are not filled again on every GEMM."""
    blocks = -(-K // MX_BLOCK)
    return _unit_scales(packed_scale_count(M, blocks), device), _unit_scales(packed_scale_count(N, blocks), device)


def run_block_scaled(op, A, B, sfa, sfb, scale_A, scale_B, bias, out_dtype, fmt) -> Tensor:
    """The SM120a kernel for already packed block scales ``sfa`` and ``sfb``."""
    M, N = A.shape[0], B.shape[1]
    if (empty := empty_product(A, B, bias, out_dtype)) is not None:
        return empty
    out = A.new_empty((M, N), dtype=out_dtype)
    K = A.shape[1] * (2 if A.dtype == FP4_DTYPE else 1)
    kernel_module(op, A.device).block_scaled_mm(
        A, B, sfa, sfb, f32_vector(scale_A), f32_vector(scale_B), f32_vector(bias), out, fmt, sm120a.pick(M, N, K))
    return out


def _run(op, A, B, scale_A, scale_B, bias, out_dtype, fmt, output_scale=None) -> Tensor:
    sfa, sfb = scale_factors(scale_A, scale_B)
    return run_block_scaled(op, A, B, sfa, sfb, output_scale, None, bias, out_dtype, fmt)


@torch.library.custom_op("gn_kernels::cutlass_mxfp8_mm", mutates_args=())
def cutlass_mxfp8_mm(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, bias: Tensor | None = None,
                     out_dtype: torch.dtype = torch.bfloat16) -> Tensor:
    """MXFP8 (OCP MX v1.0) A @ B plus bias, cast to ``out_dtype``, on SM120a.

    A (M, K) and B (K, N) float8_e4m3fn or float8_e5m2 (either pairing); scale_A (M, K/32) and
    scale_B (K/32, N) float8_e8m0fnu, or packed (see the module docstring). Any M; N a multiple
    of 16 and K of 32; bias (N,) bfloat16, float16 or float32.
    """
    check_block_scaled("mxfp8", A, B, scale_A, scale_B, bias, out_dtype)
    return _run("cutlass_mxfp8_mm", A, B, scale_A, scale_B, bias, out_dtype, "mxfp8")


@cutlass_mxfp8_mm.register_fake
def _(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16):
    M, N, _ = check_block_scaled("mxfp8", A, B, scale_A, scale_B, bias, out_dtype)
    return A.new_empty((M, N), dtype=out_dtype)


@torch.library.custom_op("gn_kernels::cutlass_mxfp4_mm", mutates_args=())
def cutlass_mxfp4_mm(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, bias: Tensor | None = None,
                     out_dtype: torch.dtype = torch.bfloat16) -> Tensor:
    """MXFP4 A @ B plus bias on SM120a: A (M, K/2) and B (K/2, N) packed E2M1 (``FP4_DTYPE``, as
    quantize_mx makes them), scale_A (M, K/32) and scale_B (K/32, N) float8_e8m0fnu, or packed.
    Any M; N a multiple of 16 and K of 32."""
    check_block_scaled("mxfp4", A, B, scale_A, scale_B, bias, out_dtype)
    return _run("cutlass_mxfp4_mm", A, B, scale_A, scale_B, bias, out_dtype, "mxfp4")


@cutlass_mxfp4_mm.register_fake
def _(A, B, scale_A, scale_B, bias=None, out_dtype=torch.bfloat16):
    M, N, _ = check_block_scaled("mxfp4", A, B, scale_A, scale_B, bias, out_dtype)
    return A.new_empty((M, N), dtype=out_dtype)


@torch.library.custom_op("gn_kernels::cutlass_nvfp4_mm", mutates_args=())
def cutlass_nvfp4_mm(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, output_scale: Tensor,
                     bias: Tensor | None = None, out_dtype: torch.dtype = torch.bfloat16) -> Tensor:
    """NVFP4 ``output_scale * (A @ B) + bias`` on SM120a: A (M, K/2) and B (K/2, N) packed E2M1,
    scale_A (M, K/16) and scale_B (K/16, N) float8_e4m3fn block scales (or packed), output_scale
    the product of the two float32 tensor scales quantize_nvfp4 returns. Any M; N a multiple of
    16 and K of 32."""
    check_block_scaled("nvfp4", A, B, scale_A, scale_B, bias, out_dtype, output_scale)
    return _run("cutlass_nvfp4_mm", A, B, scale_A, scale_B, bias, out_dtype, "nvfp4", output_scale.reshape(1))


@cutlass_nvfp4_mm.register_fake
def _(A, B, scale_A, scale_B, output_scale, bias=None, out_dtype=torch.bfloat16):
    M, N, _ = check_block_scaled("nvfp4", A, B, scale_A, scale_B, bias, out_dtype, output_scale)
    return A.new_empty((M, N), dtype=out_dtype)
