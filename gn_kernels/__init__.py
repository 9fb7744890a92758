"""Low-precision matrix-multiply kernels (CUTLASS and Triton) as torch custom ops."""

from importlib.metadata import PackageNotFoundError, version

from . import nn, quant
from .cutlass_gemm import (
    cutlass_block_scaled_fp8_mm,
    cutlass_fp8_mm,
    cutlass_int4_mm,
    cutlass_int8_mm,
    cutlass_row_scaled_fp8_mm,
    cutlass_row_scaled_int4_mm,
    cutlass_row_scaled_int8_mm,
)
from .cutlass_attention import attn_int8, attn_int8_qk, attn_mxfp8_qk
from .cutlass_block_scaled import cutlass_mxfp4_mm, cutlass_mxfp8_mm, cutlass_nvfp4_mm
from .dispatch import KernelUnavailableError
from .routing import explain, scaled_mm
from .triton_attention import triton_attn, triton_scaled_qk_attn
from .triton_block_scaled import triton_block_scaled_mm
from .triton_gemm import triton_mm, triton_scaled_mm

try:
    __version__ = version("gn_kernels")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "KernelUnavailableError",
    "attn_int8",
    "attn_int8_qk",
    "attn_mxfp8_qk",
    "cutlass_block_scaled_fp8_mm",
    "cutlass_fp8_mm",
    "cutlass_int4_mm",
    "cutlass_int8_mm",
    "cutlass_mxfp4_mm",
    "cutlass_mxfp8_mm",
    "cutlass_nvfp4_mm",
    "cutlass_row_scaled_fp8_mm",
    "cutlass_row_scaled_int4_mm",
    "cutlass_row_scaled_int8_mm",
    "explain",
    "nn",
    "quant",
    "scaled_mm",
    "triton_attn",
    "triton_block_scaled_mm",
    "triton_mm",
    "triton_scaled_mm",
    "triton_scaled_qk_attn",
]
