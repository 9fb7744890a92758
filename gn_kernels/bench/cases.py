"""What the benchmark times: our kernels and their cuBLAS peers (through torch), by name.

A case makes its inputs for a shape, says which shapes it cannot run and why,
and knows its dequantized operands, so that the harness checks its output
against the shared reference before timing it. Adding a kernel is one entry
in CASES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

import gn_kernels

from ..cutlass_gemm import block_scaled_fp8_mm_with_config, int8_mm_with_config, row_scaled_fp8_mm_with_config
from ..dispatch import KernelUnavailableError, family_for
from ..quant import pack_int4
from ..testing import (
    FP16_ACC,
    FP32_ACC,
    HOPPER_FP8_FAST,
    HOPPER_FP8_PROMOTED,
    INT32_ACC,
    MMA_SYNC_FP8_STAGED,
    Accumulation,
    expand_scales,
)

FP8 = torch.float8_e4m3fn


@dataclass
class Inputs:
    run: Callable[[], Tensor]  # the timed call
    A: Tensor  # dequantized operands for the reference, (M, K) and (K, N), float32 or float64
    B: Tensor


@dataclass(frozen=True)
class Case:
    name: str
    fmt: str  # key into bench.peaks.PEAKS
    accumulation: Accumulation
    make: Callable[[int, int, int, torch.device], Inputs]
    unsupported: Callable[[int, int, int, torch.device], str | None]
    peer: str | None = None  # the peer our kernel is compared with; None marks a peer itself
    out_bytes: int = 2  # bytes per output element (bfloat16 unless the kernel returns int32)

    @property
    def is_peer(self) -> bool:
        return self.peer is None

    @property
    def operand_bytes(self) -> float:
        """Bytes per operand element: 16-bit formats 2, INT4 a half, the 8-bit ones 1."""
        return {"bf16": 2, "fp16_acc16": 2, "int4": 0.5}.get(self.fmt, 1)


def _fp8(rows: int, cols: int, device: torch.device) -> Tensor:
    return torch.randn(rows, cols, device=device).to(FP8)


def _positive(*shape: int, device: torch.device) -> Tensor:
    # Scales in [0.5, 1.5): far from 0 and inf, so the reference stays well conditioned.
    return torch.rand(shape, device=device) + 0.5


def _fp8_operands(M: int, N: int, K: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """A (M, K) row-major and B (K, N) column-major, E4M3."""
    return _fp8(M, K, device), _fp8(N, K, device).t()


def _int8_operands(M: int, N: int, K: int, device: torch.device) -> tuple[Tensor, Tensor]:
    """A (M, K) row-major and B (K, N) column-major, int8."""
    A = torch.randint(-128, 128, (M, K), device=device, dtype=torch.int8)
    return A, torch.randint(-128, 128, (N, K), device=device, dtype=torch.int8).t()


def _block_scales(A: Tensor, B: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """DeepSeek-style scales for A (1x128 groups, (M, K/128) row-major) and B (128x128 blocks, the
    transpose of a weight's (N/128, K/128)), in the orders the quantizers make, and the operands
    dequantized by them in float64."""
    (M, K), N = A.shape, B.shape[1]
    sA = _positive(M, K // 128, device=A.device)
    sB = _positive(N // 128, K // 128, device=A.device).t()
    A_deq = A.double() * expand_scales(sA, A.shape).double()
    B_deq = B.double() * expand_scales(sB, B.shape).double()
    return sA, sB, A_deq, B_deq


def _needs(M_min: int = 1, N_mult: int = 1, K_mult: int = 1, min_cc: tuple[int, int] = (0, 0)):
    def unsupported(M: int, N: int, K: int, device: torch.device) -> str | None:
        cc = torch.cuda.get_device_capability(device)
        if cc < min_cc:
            return f"needs compute capability {min_cc[0]}.{min_cc[1]}"
        if M < M_min:
            return f"refuses M < {M_min}"
        if N % N_mult or K % K_mult:
            return f"needs N % {N_mult} == 0 and K % {K_mult} == 0"
        return None

    return unsupported


def _ours(op: str, N_mult: int, K_mult: int, backend: str | None = None):
    shape_rule = _needs(N_mult=N_mult, K_mult=K_mult)

    def unsupported(M: int, N: int, K: int, device: torch.device) -> str | None:
        try:
            family_for(op, torch.cuda.get_device_capability(device), backend)
        except KernelUnavailableError as e:
            return str(e)
        return shape_rule(M, N, K, device)

    return unsupported


def _make_bf16(M, N, K, device):
    A = torch.randn(M, K, device=device, dtype=torch.bfloat16)
    B = torch.randn(N, K, device=device, dtype=torch.bfloat16).t()
    return Inputs(lambda: torch.mm(A, B), A.float(), B.float())


def _make_fp8_tensorwise(M, N, K, device):
    A, B = _fp8_operands(M, N, K, device)
    sA, sB = _positive(device=device), _positive(device=device)
    return Inputs(lambda: torch._scaled_mm(A, B, sA, sB, out_dtype=torch.bfloat16), A.float() * sA, B.float() * sB)


def _make_fp8_rowwise(fast_accum: bool):
    def make(M, N, K, device):
        A, B = _fp8_operands(M, N, K, device)
        sA, sB = _positive(M, 1, device=device), _positive(1, N, device=device)

        def run():
            return torch._scaled_mm(A, B, sA, sB, out_dtype=torch.bfloat16, use_fast_accum=fast_accum)

        return Inputs(run, A.float() * sA, B.float() * sB)

    return make


def _make_fp8_blockwise(M, N, K, device):
    A, B = _fp8_operands(M, N, K, device)
    # cuBLAS (torch 2.11) takes 1x128 scales of A stored K-major, i.e. made as
    # (K/128, M) and transposed, and 128x128 scales of B made as (N/128, K/128)
    # and transposed; it refuses other strides.
    sA = _positive(K // 128, M, device=device).t()
    sB = _positive(N // 128, K // 128, device=device).t()
    A_deq = A.float() * sA.repeat_interleave(128, dim=1)
    B_deq = B.float() * sB.repeat_interleave(128, dim=0).repeat_interleave(128, dim=1)
    return Inputs(lambda: torch._scaled_mm(A, B, sA, sB, out_dtype=torch.bfloat16), A_deq, B_deq)


def _make_int8(M, N, K, device):
    A, B = _int8_operands(M, N, K, device)
    return Inputs(lambda: torch._int_mm(A, B), A.float(), B.float())


def _make_cutlass_fp8_mm(M, N, K, device):
    A, B = _fp8_operands(M, N, K, device)
    return Inputs(lambda: gn_kernels.cutlass_fp8_mm(A, B), A.float(), B.float())


def _make_cutlass_row_scaled(fast_accum: bool, config: str | None = None, max_swizzle: int | None = None,
                             backend: str = "auto", splits: int = 1):
    def make(M, N, K, device):
        A, B = _fp8_operands(M, N, K, device)
        sA, sB = _positive(M, 1, device=device), _positive(1, N, device=device)

        def run():
            if config is None:
                return gn_kernels.cutlass_row_scaled_fp8_mm(A, B, sA, sB, use_fast_accum=fast_accum, backend=backend)
            return row_scaled_fp8_mm_with_config(A, B, sA, sB, use_fast_accum=fast_accum, config=config,
                                                 max_swizzle=max_swizzle, splits=splits)

        # float64 dequantization is exact, so the check sees only the kernel's rounding.
        return Inputs(run, A.double() * sA.double(), B.double() * sB.double())

    return make


def _make_cutlass_int8(scaled: bool, config: str | None = None, max_swizzle: int | None = None):
    def make(M, N, K, device):
        A, B = _int8_operands(M, N, K, device)
        if not scaled:
            return Inputs(lambda: gn_kernels.cutlass_int8_mm(A, B), A.double(), B.double())
        sA, sB = _positive(M, 1, device=device), _positive(1, N, device=device)

        def run():
            if config is None:
                return gn_kernels.cutlass_row_scaled_int8_mm(A, B, sA, sB)
            return int8_mm_with_config(A, B, sA, sB, None, torch.bfloat16, config=config, max_swizzle=max_swizzle)

        return Inputs(run, A.double() * sA.double(), B.double() * sB.double())

    return make


def _make_cutlass_int4(scaled: bool):
    def make(M, N, K, device):
        a = torch.randint(-8, 8, (M, K), device=device, dtype=torch.int8)
        w = torch.randint(-8, 8, (N, K), device=device, dtype=torch.int8)
        A, B = pack_int4(a), pack_int4(w).t()
        if not scaled:
            return Inputs(lambda: gn_kernels.cutlass_int4_mm(A, B), a.double(), w.double().t())
        sA, sB = _positive(M, 1, device=device), _positive(1, N, device=device)
        return Inputs(lambda: gn_kernels.cutlass_row_scaled_int4_mm(A, B, sA, sB), a.double() * sA.double(),
                      w.double().t() * sB.double())

    return make


def _make_cutlass_block_scaled(config: str | None = None, max_swizzle: int | None = None):
    def make(M, N, K, device):
        A, B = _fp8_operands(M, N, K, device)
        sA, sB, A_deq, B_deq = _block_scales(A, B)

        def run():
            if config is None:
                return gn_kernels.cutlass_block_scaled_fp8_mm(A, B, sA, sB)
            return block_scaled_fp8_mm_with_config(A, B, sA, sB, config=config, max_swizzle=max_swizzle)

        return Inputs(run, A_deq, B_deq)

    return make


def _run_triton(A: Tensor, B: Tensor, acc: torch.dtype, config, scales=(), fast_accum: bool = False):
    """The Triton op's call, or (config given, for the tuning sweep) its kernel launched with that
    configuration, the op's checks left out."""
    if config is None:
        if scales:
            return lambda: gn_kernels.triton_scaled_mm(A, B, *scales, use_fast_accum=fast_accum)
        return lambda: gn_kernels.triton_mm(A, B, None, acc)
    from ..triton_gemm import scale_groups
    from ..triton_gemm_kernels import Product, launch

    (M, K), N = A.shape, B.shape[1]
    out_dtype = torch.float16 if A.dtype == torch.float16 else torch.bfloat16
    out = A.new_empty((M, N), dtype=out_dtype)
    groups = scale_groups(M, N, K, *scales) if scales else None
    product = Product(A, acc, *scales, None, groups, fast_accum) if scales else Product(A, acc)

    def run():
        launch(A, B, out, product, config)
        return out

    return run


def _make_triton_mm(dtype: torch.dtype, acc: torch.dtype, config=None):
    def make(M, N, K, device):
        A = torch.randn(M, K, device=device, dtype=dtype)
        B = torch.randn(N, K, device=device, dtype=dtype).t()
        return Inputs(_run_triton(A, B, acc, config), A.double(), B.double())

    return make


def _make_triton_scaled(dtype: torch.dtype, tilewise: bool, fast_accum: bool = False, config=None):
    def make(M, N, K, device):
        A, B = (_int8_operands if dtype == torch.int8 else _fp8_operands)(M, N, K, device)
        if tilewise:
            sA, sB, A_deq, B_deq = _block_scales(A, B)
        else:
            sA, sB = _positive(M, 1, device=device), _positive(1, N, device=device)
            A_deq, B_deq = A.double() * sA.double(), B.double() * sB.double()
        acc = torch.int32 if dtype == torch.int8 else torch.float32
        return Inputs(_run_triton(A, B, acc, config, (sA, sB), fast_accum), A_deq, B_deq)

    return make


_SCALED_MM_FP8 = _needs(N_mult=16, K_mult=16, min_cc=(8, 9))  # torch._scaled_mm's FP8 limits
PEERS = [
    Case("cublas_bf16", "bf16", FP32_ACC, _make_bf16, _needs()),
    Case("cublas_fp8_tensorwise", "fp8", HOPPER_FP8_PROMOTED, _make_fp8_tensorwise, _SCALED_MM_FP8),
    Case("cublas_fp8_rowwise", "fp8", HOPPER_FP8_PROMOTED, _make_fp8_rowwise(False), _SCALED_MM_FP8),
    Case("cublas_fp8_rowwise_fast_accum", "fp8", HOPPER_FP8_FAST, _make_fp8_rowwise(True), _SCALED_MM_FP8),
    Case("cublas_fp8_blockwise", "fp8", HOPPER_FP8_PROMOTED, _make_fp8_blockwise,
         _needs(N_mult=128, K_mult=128, min_cc=(9, 0))),
    # torch._int_mm refuses M <= 16.
    Case("cublas_int8", "int8", INT32_ACC, _make_int8, _needs(M_min=17, N_mult=8, K_mult=8), out_bytes=4),
]

OURS = [
    Case("cutlass_fp8_mm", "fp8", HOPPER_FP8_PROMOTED, _make_cutlass_fp8_mm, _ours("cutlass_fp8_mm", 16, 16),
         peer="cublas_fp8_tensorwise"),
    Case("cutlass_row_scaled_fp8_mm", "fp8", HOPPER_FP8_PROMOTED, _make_cutlass_row_scaled(False),
         _ours("cutlass_row_scaled_fp8_mm", 16, 16), peer="cublas_fp8_rowwise"),
    Case("cutlass_row_scaled_fp8_mm[fast_accum]", "fp8", HOPPER_FP8_FAST, _make_cutlass_row_scaled(True),
         _ours("cutlass_row_scaled_fp8_mm", 16, 16), peer="cublas_fp8_rowwise_fast_accum"),
    Case("cutlass_block_scaled_fp8_mm", "fp8", HOPPER_FP8_PROMOTED, _make_cutlass_block_scaled(),
         _ours("cutlass_block_scaled_fp8_mm", 128, 128), peer="cublas_fp8_blockwise"),
    Case("cutlass_int8_mm", "int8", INT32_ACC, _make_cutlass_int8(False), _ours("cutlass_int8_mm", 16, 16),
         peer="cublas_int8", out_bytes=4),
    # torch._int_mm applies no scales: the peer does less work than ours.
    Case("cutlass_row_scaled_int8_mm", "int8", INT32_ACC, _make_cutlass_int8(True),
         _ours("cutlass_row_scaled_int8_mm", 16, 16), peer="cublas_int8"),
    # The mma.sync families, forced where a newer family would win (on an H100 they run through
    # PTX, and INT4 has no tensor cores there): reported beside the nearest cuBLAS GEMM.
    Case("cutlass_row_scaled_fp8_mm[sm89]", "fp8", MMA_SYNC_FP8_STAGED, _make_cutlass_row_scaled(False, backend="89"),
         _ours("cutlass_row_scaled_fp8_mm", 16, 16, backend="89"), peer="cublas_fp8_rowwise"),
    Case("cutlass_int4_mm", "int4", INT32_ACC, _make_cutlass_int4(False), _ours("cutlass_int4_mm", 16, 32),
         peer="cublas_int8", out_bytes=4),
    Case("cutlass_row_scaled_int4_mm", "int4", INT32_ACC, _make_cutlass_int4(True),
         _ours("cutlass_row_scaled_int4_mm", 16, 32), peer="cublas_int8"),
]

# The Triton GEMMs, by name -> (make(config), accumulation, shape rule, peer); FP8 sums promoted
# every 128 products (as HOPPER_FP8_PROMOTED bounds) unless fast accumulation is asked for.
_TRITON = {
    "triton_mm[bf16]": (lambda cfg: _make_triton_mm(torch.bfloat16, torch.float32, cfg), "bf16", FP32_ACC,
                        _needs(min_cc=(8, 0)), "cublas_bf16"),
    "triton_mm[fp16_acc16]": (lambda cfg: _make_triton_mm(torch.float16, torch.float16, cfg), "fp16_acc16", FP16_ACC,
                              _needs(min_cc=(8, 0)), "cublas_bf16"),
    "triton_scaled_mm[fp8_rowwise]": (lambda cfg: _make_triton_scaled(FP8, False, config=cfg), "fp8",
                                      HOPPER_FP8_PROMOTED, _needs(min_cc=(8, 9)), "cublas_fp8_rowwise"),
    "triton_scaled_mm[fp8_rowwise_fast_accum]": (lambda cfg: _make_triton_scaled(FP8, False, True, cfg), "fp8",
                                                 HOPPER_FP8_FAST, _needs(min_cc=(8, 9)),
                                                 "cublas_fp8_rowwise_fast_accum"),
    "triton_scaled_mm[int8_rowwise]": (lambda cfg: _make_triton_scaled(torch.int8, False, config=cfg), "int8",
                                       INT32_ACC, _needs(min_cc=(8, 0)), "cublas_int8"),
    "triton_scaled_mm[fp8_1x128_128x128]": (lambda cfg: _make_triton_scaled(FP8, True, config=cfg), "fp8",
                                            HOPPER_FP8_PROMOTED, _needs(N_mult=128, K_mult=128, min_cc=(8, 9)),
                                            "cublas_fp8_rowwise"),
}


def triton_case(name: str, config=None) -> Case:
    """A Triton GEMM case; with a config (heuristics.triton_mm.MmConfig), forced to it."""
    make, fmt, accumulation, unsupported, peer = _TRITON[name]
    return Case(name if config is None else f"{name}<{config.name}>", fmt, accumulation, make(config), unsupported,
                peer)


TRITON = [triton_case(name) for name in _TRITON]

CASES = {c.name: c for c in PEERS + OURS + TRITON}


def config_case(kernel: str, config: str, max_swizzle: int | None = None, splits: int = 1) -> Case:
    """One of our SM90a kernels (a name in OURS) forced to one tile configuration and tile walk
    (and, for the FP8 GEMM, number of K slices), for the tuning sweep; it keeps the kernel's peer
    and accumulation."""
    if splits != 1 and not kernel.startswith("cutlass_row_scaled_fp8_mm"):
        raise ValueError(f"config_case: only cutlass_row_scaled_fp8_mm splits K, not {kernel}")
    base = CASES[kernel]
    make = {
        "cutlass_row_scaled_fp8_mm": _make_cutlass_row_scaled(False, config, max_swizzle, splits=splits),
        "cutlass_row_scaled_fp8_mm[fast_accum]": _make_cutlass_row_scaled(True, config, max_swizzle, splits=splits),
        "cutlass_row_scaled_int8_mm": _make_cutlass_int8(True, config, max_swizzle),
        "cutlass_block_scaled_fp8_mm": _make_cutlass_block_scaled(config, max_swizzle),
    }[kernel]
    name = f"{config}/s{max_swizzle}" + (f"/k{splits}" if splits != 1 else "")
    return Case(f"{kernel}<{name}>", base.fmt, base.accumulation, make, base.unsupported, base.peer)
