"""Microscaled GEMMs in Triton: ``triton_block_scaled_mm(A, B, scale_A, scale_B, format, ...)``.

Operands and scales are taken as gn_kernels.quant makes them, A from an activation x (M, K) and
B = Wq.T from a weight W (N, K) quantized the same way, its scales transposed too:

| format  | A (M, K), B (K, N)                                  | scale_A, scale_B               | block |
|---------|-----------------------------------------------------|--------------------------------|-------|
| "mxfp8" | float8 e4m3 or e5m2                                 | float8_e8m0fnu (M, K/32), (K/32, N) | 32 |
| "mxfp4" | FP4_DTYPE, two E2M1 a byte along K: (M, K/2), (K/2, N) | float8_e8m0fnu (M, K/32), (K/32, N) | 32 |
| "nvfp4" | as mxfp4                                            | float8_e4m3fn (M, K/16), (K/16, N) | 16 |

nvfp4 also takes ``output_scale``, a one-element float32 tensor: the product of the two tensor
scales quantize_nvfp4 returned; the output is (A @ B) * output_scale. Any M; N any; K a
multiple of the block. Any strides.

MX formats go through ``tl.dot_scaled`` (on Hopper Triton emulates it: the operands are scaled
into bfloat16, exactly, and multiplied there); nvfp4, whose E4M3 scales on 16-element blocks
dot_scaled does not take in Triton 3.6, is decoded in the kernel to bfloat16 the same way. Sums
are float32.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import checks
from .quant.formats import FP4_DTYPE, MX_BLOCK, NVFP4_BLOCK

E4M3, E5M2, E8M0 = torch.float8_e4m3fn, torch.float8_e5m2, torch.float8_e8m0fnu
FP4_STORAGE = (FP4_DTYPE, torch.uint8)
# format -> (operand dtypes, scale dtype, block along K, K values per stored element)
FORMATS = {
    "mxfp8": ((E4M3, E5M2), E8M0, MX_BLOCK, 1),
    "mxfp4": (FP4_STORAGE, E8M0, MX_BLOCK, 2),
    "nvfp4": (FP4_STORAGE, E4M3, NVFP4_BLOCK, 2),
}
OUT_DTYPES = (torch.bfloat16, torch.float16, torch.float32)


def _check(op, A, B, scale_A, scale_B, format, out_dtype, output_scale) -> tuple[int, int, int]:
    """Checks shared by the eager op and its fake kernel; returns M, N and the logical K."""
    if format not in FORMATS:
        raise ValueError(f"{op}: format must be one of {list(FORMATS)}; got {format!r}")
    dtypes, scale_dtype, block, per_element = FORMATS[format]
    for name, t in (("A", A), ("B", B)):
        checks.check_triton_device(op, name, t)
        checks.check_dtype(op, name, t, dtypes)
    for name, s in (("scale_A", scale_A), ("scale_B", scale_B)):
        checks.check_dtype(op, name, s, [scale_dtype])
    checks.check_same_device(op, A=A, B=B, scale_A=scale_A, scale_B=scale_B)
    checks.check_out_dtype(op, out_dtype, OUT_DTYPES)
    M, N, K_stored = checks.check_matmul_shapes(op, A, B)
    K = K_stored * per_element
    checks.check_multiple(op, f"K (the logical K, {per_element} values per stored element)", K, block)
    for name, s, shape in (("scale_A", scale_A, (M, K // block)), ("scale_B", scale_B, (K // block, N))):
        if tuple(s.shape) != shape:
            raise ValueError(f"{op}: {name} for {format} must have shape {shape} (one scale per {block} values "
                             f"along K); got {tuple(s.shape)}")
    if (format == "nvfp4") != (output_scale is not None):
        raise ValueError(f"{op}: output_scale (a one-element float32 tensor) is required for nvfp4 and taken by "
                         f"nothing else; got {'none' if output_scale is None else 'one'} for {format}")
    if output_scale is not None:
        checks.check_dtype(op, "output_scale", output_scale, [torch.float32])
        checks.check_same_device(op, A=A, output_scale=output_scale)
        if output_scale.numel() != 1:
            raise ValueError(f"{op}: output_scale must have one element; got shape {tuple(output_scale.shape)}")
    return M, N, K


@torch.library.custom_op("gn_kernels::triton_block_scaled_mm", mutates_args=())
def triton_block_scaled_mm(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, format: str,
                           out_dtype: torch.dtype = torch.bfloat16, output_scale: Tensor | None = None) -> Tensor:
    """(A @ B) of MXFP8, MXFP4 or NVFP4 operands with their block scales; see the module docstring."""
    M, N, K = _check("triton_block_scaled_mm", A, B, scale_A, scale_B, format, out_dtype, output_scale)
    out = A.new_empty((M, N), dtype=out_dtype)
    if M == 0 or N == 0:
        return out
    if K == 0:
        return out.zero_()
    from .triton_block_scaled_kernels import block_scaled_mm

    block_scaled_mm(A, B, scale_A, scale_B, format, out, output_scale)
    return out


@triton_block_scaled_mm.register_fake
def _(A, B, scale_A, scale_B, format, out_dtype=torch.bfloat16, output_scale=None):
    M, N, _ = _check("triton_block_scaled_mm", A, B, scale_A, scale_B, format, out_dtype, output_scale)
    return A.new_empty((M, N), dtype=out_dtype)
