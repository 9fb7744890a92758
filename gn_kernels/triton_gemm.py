"""Triton GEMMs as torch custom ops: the portable half of the library, and the fallback where no
CUTLASS kernel runs.

``triton_mm(A, B, out_dtype=None, acc_dtype=None)`` multiplies A (M, K) by B (K, N) of one input
dtype, with any strides:

| inputs              | accumulation (acc_dtype)        | outputs (out_dtype)                     |
|---------------------|---------------------------------|-----------------------------------------|
| bfloat16            | float32                         | bfloat16 (default), float16, float32    |
| float16             | float32 (default) or float16    | float16 (default), bfloat16, float32    |
| float8 e4m3 or e5m2 | float32                         | bfloat16 (default), float16, float32    |
| int8                | int32                           | int32                                   |

float16 accumulation runs the tensor cores' FP16 MMA with FP16 accumulate, twice the rate of
float32 accumulation on consumer GPUs and less accurate (each partial sum is rounded to float16).

``triton_scaled_mm(A, B, scale_A, scale_B, out_dtype, bias)`` takes INT8 or FP8 operands with
float32 scales, row-wise or tile-wise as their shapes say (see its docstring).

The kernels run on CUDA tensors, and on CPU tensors under TRITON_INTERPRET=1 (for tests). Their
launch configurations (gn_kernels/heuristics/triton_mm.py) are not yet tuned on a GPU.
"""

from __future__ import annotations

import torch
from torch import Tensor

from . import checks

F32, F16, BF16, I8, I32 = torch.float32, torch.float16, torch.bfloat16, torch.int8, torch.int32
E4M3, E5M2 = torch.float8_e4m3fn, torch.float8_e5m2
FLOAT_OUTPUTS = (BF16, F16, F32)
# input dtype -> (accumulations, the default first), (outputs, the default first)
MM_DTYPES: dict[torch.dtype, tuple[tuple[torch.dtype, ...], tuple[torch.dtype, ...]]] = {
    BF16: ((F32,), FLOAT_OUTPUTS),
    F16: ((F32, F16), (F16, BF16, F32)),
    E4M3: ((F32,), FLOAT_OUTPUTS),
    E5M2: ((F32,), FLOAT_OUTPUTS),
    I8: ((I32,), (I32,)),
}


def _check_mm(op: str, A: Tensor, B: Tensor, out_dtype, acc_dtype) -> tuple[int, int, int, torch.dtype, torch.dtype]:
    """Checks shared by the eager op and its fake kernel; returns M, N, K and the resolved dtypes."""
    for name, t in (("A", A), ("B", B)):
        checks.check_triton_device(op, name, t)
        checks.check_dtype(op, name, t, list(MM_DTYPES))
    checks.check_same_device(op, A=A, B=B)
    if A.dtype != B.dtype:
        raise TypeError(f"{op}: A and B must have the same dtype; got {A.dtype} and {B.dtype}")
    M, N, K = checks.check_matmul_shapes(op, A, B)
    accs, outs = MM_DTYPES[A.dtype]
    acc_dtype = accs[0] if acc_dtype is None else acc_dtype
    out_dtype = outs[0] if out_dtype is None else out_dtype
    if acc_dtype not in accs:
        raise TypeError(f"{op}: acc_dtype for {A.dtype} inputs must be one of {list(accs)}; got {acc_dtype}")
    if out_dtype not in outs:
        raise TypeError(f"{op}: out_dtype for {A.dtype} inputs must be one of {list(outs)}; got {out_dtype}")
    return M, N, K, out_dtype, acc_dtype


@torch.library.custom_op("gn_kernels::triton_mm", mutates_args=())
def triton_mm(A: Tensor, B: Tensor, out_dtype: torch.dtype | None = None, acc_dtype: torch.dtype | None = None) -> Tensor:
    """A (M, K) @ B (K, N) in Triton, any strides; dtypes as the module's table gives them."""
    M, N, K, out_dtype, acc_dtype = _check_mm("triton_mm", A, B, out_dtype, acc_dtype)
    out = A.new_empty((M, N), dtype=out_dtype)
    if M == 0 or N == 0:
        return out
    if K == 0:
        return out.zero_()
    from .triton_gemm_kernels import Product, launch

    launch(A, B, out, Product(A, acc_dtype))
    return out


@triton_mm.register_fake
def _(A, B, out_dtype=None, acc_dtype=None):
    M, N, _, out_dtype, _ = _check_mm("triton_mm", A, B, out_dtype, acc_dtype)
    return A.new_empty((M, N), dtype=out_dtype)


# ---- scaled ---------------------------------------------------------------------------------------

SCALED_INPUTS = (I8, E4M3, E5M2)
BIAS_DTYPES = (BF16, F16, F32)


def _single(t: Tensor) -> bool:
    return t.numel() == 1 and t.dim() <= 2


def scale_groups(M: int, N: int, K: int, scale_A: Tensor, scale_B: Tensor, op: str = "triton_scaled_mm"):
    """None for row-wise scales (scale_A (M, 1) or one value, scale_B (1, N) or one value); the group
    sizes (QM, QN, QK) of tile-wise ones (scale_A (M/QM, K/QK), scale_B (K/QK, N/QN)); else ValueError."""
    if (_single(scale_A) or tuple(scale_A.shape) == (M, 1)) and (_single(scale_B) or tuple(scale_B.shape) == (1, N)):
        return None
    if scale_A.dim() == 2 and scale_B.dim() == 2 and scale_A.shape[1] == scale_B.shape[0] and min(
            *scale_A.shape, *scale_B.shape) > 0:
        (gm, gk), gn = scale_A.shape, scale_B.shape[1]
        if M % gm == 0 and N % gn == 0 and K % gk == 0 and (K // gk) % 32 == 0:
            return M // gm, N // gn, K // gk
    raise ValueError(
        f"{op}: scales must be row-wise (scale_A (M, 1) = ({M}, 1) or one value, scale_B (1, N) = (1, {N}) or one "
        f"value) or tile-wise (scale_A (M/QM, K/QK), scale_B (K/QK, N/QN), with QM, QN, QK dividing M, N, K and QK "
        f"a multiple of 32: the K of one 8-bit tensor-core product); got scale_A {tuple(scale_A.shape)} and "
        f"scale_B {tuple(scale_B.shape)}")


def _check_scaled(op, A, B, scale_A, scale_B, out_dtype, bias):
    checks.check_dtype(op, "A", A, SCALED_INPUTS)
    checks.check_dtype(op, "B", B, SCALED_INPUTS)
    M, N, K, _, _ = _check_mm(op, A, B, None, None)
    checks.check_out_dtype(op, out_dtype, FLOAT_OUTPUTS)
    for name, s in (("scale_A", scale_A), ("scale_B", scale_B)):
        checks.check_dtype(op, name, s, [F32])
        checks.check_same_device(op, A=A, **{name: s})
    if bias is not None:
        checks.check_dtype(op, "bias", bias, BIAS_DTYPES)
        checks.check_same_device(op, A=A, bias=bias)
        if tuple(bias.shape) != (N,):
            raise ValueError(f"{op}: bias must have shape (N,) = ({N},); got {tuple(bias.shape)}")
    return M, N, K, scale_groups(M, N, K, scale_A, scale_B, op)


@torch.library.custom_op("gn_kernels::triton_scaled_mm", mutates_args=())
def triton_scaled_mm(A: Tensor, B: Tensor, scale_A: Tensor, scale_B: Tensor, out_dtype: torch.dtype = BF16,
                     bias: Tensor | None = None, use_fast_accum: bool = False) -> Tensor:
    """(A @ B) with INT8 or FP8 operands (one dtype), dequantized by float32 scales whose shapes
    give the granularity: row-wise, scale_A (M, 1) and scale_B (1, N) (or single values), applied
    to the exact int32 or float32 sum; or tile-wise, scale_A (M/QM, K/QK) and scale_B (K/QK, N/QN)
    (DeepSeek's QM=1, QK=QN=128, for one), applied to each K block's partial sum. Plus bias (N,),
    cast to out_dtype (bfloat16, float16 or float32). Any strides; QK a multiple of 32.

    FP8 row-wise sums leave the tensor cores for float32 every 128 products, as torch._scaled_mm's
    do; ``use_fast_accum=True`` keeps the whole sum in the tensor cores' own accumulation
    (faster, less accurate: for inference), as ``torch._scaled_mm(use_fast_accum=True)``."""
    M, N, K, groups = _check_scaled("triton_scaled_mm", A, B, scale_A, scale_B, out_dtype, bias)
    out = A.new_empty((M, N), dtype=out_dtype)
    if M == 0 or N == 0:
        return out
    if K == 0:
        return out.zero_() if bias is None else out.copy_(bias.expand(M, N))
    from .triton_gemm_kernels import Product, launch

    acc = I32 if A.dtype == I8 else F32
    launch(A, B, out, Product(A, acc, scale_A, scale_B, bias, groups, use_fast_accum))
    return out


@triton_scaled_mm.register_fake
def _(A, B, scale_A, scale_B, out_dtype=BF16, bias=None, use_fast_accum=False):
    M, N, _, _ = _check_scaled("triton_scaled_mm", A, B, scale_A, scale_B, out_dtype, bias)
    return A.new_empty((M, N), dtype=out_dtype)
