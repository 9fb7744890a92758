"""Argument checks shared by every op's eager and fake implementations.

Each raises TypeError (wrong dtype) or ValueError (wrong shape, layout,
alignment or device) naming the op, the argument and what was expected. They
read only metadata, so they run unchanged on fake tensors and never sync.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import torch


def _names(dtypes: Iterable[torch.dtype]) -> str:
    return ", ".join(str(d).removeprefix("torch.") for d in dtypes)


def check_dtype(op: str, name: str, t: torch.Tensor, allowed: Iterable[torch.dtype]) -> None:
    allowed = tuple(allowed)
    if t.dtype not in allowed:
        raise TypeError(f"{op}: {name} must have dtype {_names(allowed)}; got {_names([t.dtype])}")


def check_out_dtype(op: str, out_dtype: torch.dtype, allowed: Iterable[torch.dtype]) -> None:
    allowed = tuple(allowed)
    if out_dtype not in allowed:
        raise TypeError(f"{op}: out_dtype must be one of {_names(allowed)}; got {_names([out_dtype])}")


def check_cuda(op: str, name: str, t: torch.Tensor) -> None:
    # "meta" is accepted so that shape propagation works on meta tensors.
    if t.device.type not in ("cuda", "meta"):
        raise ValueError(f"{op}: {name} must be on a CUDA device; got {t.device}")


def check_same_device(op: str, **tensors: torch.Tensor) -> None:
    devices = {name: t.device for name, t in tensors.items()}
    if len(set(devices.values())) > 1:
        listed = ", ".join(f"{name} on {d}" for name, d in devices.items())
        raise ValueError(f"{op}: all tensors must be on one device; got {listed}")


def check_ndim(op: str, name: str, t: torch.Tensor, ndim: int) -> None:
    if t.dim() != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D; got shape {tuple(t.shape)}")


def check_row_major(op: str, name: str, t: torch.Tensor) -> None:
    """A 2-D tensor whose rows are contiguous: stride (cols, 1)."""
    if not t.is_contiguous():
        raise ValueError(
            f"{op}: {name} must be row-major (contiguous, stride ({t.shape[1]}, 1)); "
            f"got shape {tuple(t.shape)} with stride {t.stride()}; call .contiguous()"
        )


def check_col_major(op: str, name: str, t: torch.Tensor) -> None:
    """A 2-D tensor whose columns are contiguous, i.e. ``t.T`` is contiguous."""
    if not t.t().is_contiguous():
        raise ValueError(
            f"{op}: {name} must be column-major (stride (1, {t.shape[0]}), i.e. {name}.T contiguous); "
            f"got shape {tuple(t.shape)} with stride {t.stride()}; pass W.T for a row-major weight W"
        )


def check_multiple(op: str, what: str, value: int, multiple: int) -> None:
    if value % multiple != 0:
        raise ValueError(f"{op}: {what} must be a multiple of {multiple}; got {value}")


def check_matmul_shapes(op: str, A: torch.Tensor, B: torch.Tensor) -> tuple[int, int, int]:
    """M, N, K of A (M, K) @ B (K, N)."""
    check_ndim(op, "A", A, 2)
    check_ndim(op, "B", B, 2)
    if A.shape[1] != B.shape[0]:
        raise ValueError(
            f"{op}: A (M, K) and B (K, N) must agree on K; got A {tuple(A.shape)} and B {tuple(B.shape)}"
        )
    return A.shape[0], B.shape[1], A.shape[1]


def triton_interpreting() -> bool:
    """Whether Triton kernels run under its CPU interpreter (TRITON_INTERPRET=1), as the CPU tests do."""
    return os.environ.get("TRITON_INTERPRET") == "1"


def check_triton_device(op: str, name: str, t: torch.Tensor) -> None:
    """A CUDA tensor, or a CPU one when Triton's interpreter runs the kernels."""
    if t.device.type != "cuda" and not (t.device.type == "cpu" and triton_interpreting()):
        raise ValueError(f"{op}: {name} must be a CUDA tensor (or a CPU one under TRITON_INTERPRET=1); "
                         f"got device {t.device}")
