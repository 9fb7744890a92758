"""The Triton GEMM kernels behind gn_kernels.triton_gemm: checks, schemas and dtype rules live
there; launch configurations in gn_kernels/heuristics/triton_mm.py.

Two kernels share one K-step and one epilogue: a pointer kernel that takes any strides (one
program per output tile), and a persistent one for Hopper-class GPUs that loads through TMA
descriptors (as many programs as SMs, each walking output tiles), for operands whose rows are
16-byte aligned. Both do plain, row-scaled and tile-scaled products.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl
from triton.tools.tensor_descriptor import TensorDescriptor

from . import triton_autotune
from .checks import triton_interpreting
from .dispatch import multiprocessor_count, runs_gluon_hopper, shared_memory_per_block
from .heuristics import triton_mm as configs

_TL = {torch.float32: tl.float32, torch.float16: tl.float16, torch.int32: tl.int32}
FP8 = (torch.float8_e4m3fn, torch.float8_e5m2)
# Scaling of the product: none, row-wise (applied to the whole sum), tile-wise (to each K block).
PLAIN, ROWWISE, TILEWISE = 0, 1, 2
# FP8 sums leave the tensor cores for float32 every 128 products unless fast accumulation is
# asked for, as cuBLAS and torch._scaled_mm do by default on Hopper.
PROMOTE_K = 128


@triton.jit
def _tile_of(tile, M, N, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, GROUP_M: tl.constexpr):
    """Row and column block of output tile ``tile``; tiles are walked in bands GROUP_M tall so
    that consecutive tiles share A and B blocks in L2."""
    band = GROUP_M * tl.cdiv(N, BLOCK_N)
    first_m = (tile // band) * GROUP_M
    band_m = tl.minimum(tl.cdiv(M, BLOCK_M) - first_m, GROUP_M)
    return first_m + (tile % band) % band_m, (tile % band) // band_m


@triton.jit
def _load_operand(ptrs, mask, UPCAST: tl.constexpr):
    if mask is None:  # tl.load refuses a fill value without a mask
        x = tl.load(ptrs)
        if UPCAST:
            x = x.to(tl.float32)
    elif UPCAST:
        # The interpreter multiplies bfloat16 wrongly and cannot fill FP8 with zeros; products of
        # either are exact in float32, so the sums are those of the tensor cores.
        x = tl.where(mask, tl.load(ptrs, mask=mask).to(tl.float32), 0.0)
    else:
        x = tl.load(ptrs, mask=mask, other=0.0)
    return x


@triton.jit
def _k_step(acc, a, b, k, rm, rn, M, N, sa_ptr, sb_ptr, s_sam, s_sak, s_sbk, s_sbn, QM, QN,
            QK_BLOCKS: tl.constexpr, ACC: tl.constexpr, SCALING: tl.constexpr, IMPRECISE_K: tl.constexpr):
    """acc plus one K block's product; tile-wise scales weigh the block's partial sum, which lies
    in one scale group of QK_BLOCKS blocks."""
    if SCALING == 2:
        group = k // QK_BLOCKS
        sa = tl.load(sa_ptr + (rm // QM) * s_sam + group * s_sak, mask=rm < M, other=0.0)
        sb = tl.load(sb_ptr + group * s_sbk + (rn // QN) * s_sbn, mask=rn < N, other=0.0)
        acc += tl.dot(a, b, out_dtype=ACC).to(tl.float32) * sa[:, None] * sb[None, :]
    else:
        acc = tl.dot(a, b, acc, out_dtype=ACC, max_num_imprecise_acc=IMPRECISE_K)
    return acc


@triton.jit
def _epilogue(acc, rm, rn, M, N, sa_ptr, sb_ptr, bias_ptr, s_sam, s_sbn, SCALING: tl.constexpr,
              HAS_BIAS: tl.constexpr):
    """Row-wise scales applied to the sum (exact int32 for int8), then the bias, in float32."""
    out = acc
    if SCALING == 1:
        sa = tl.load(sa_ptr + rm * s_sam, mask=rm < M, other=0.0)
        sb = tl.load(sb_ptr + rn * s_sbn, mask=rn < N, other=0.0)
        out = out.to(tl.float32) * sa[:, None] * sb[None, :]
    if HAS_BIAS:
        out = out.to(tl.float32) + tl.load(bias_ptr + rn, mask=rn < N, other=0.0).to(tl.float32)[None, :]
    return out


@triton.jit
def _gemm_kernel(a_ptr, b_ptr, c_ptr, sa_ptr, sb_ptr, bias_ptr, M, N, K, s_am, s_ak, s_bk, s_bn, s_cm, s_cn,
                 s_sam, s_sak, s_sbk, s_sbn, QM, QN, QK_BLOCKS: tl.constexpr,
                 BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                 ACC: tl.constexpr, SCALING: tl.constexpr, HAS_BIAS: tl.constexpr, IMPRECISE_K: tl.constexpr,
                 UPCAST: tl.constexpr):
    pid_m, pid_n = _tile_of(tl.program_id(0), M, N, BLOCK_M, BLOCK_N, GROUP_M)
    rm, rn = pid_m * BLOCK_M + tl.arange(0, BLOCK_M), pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    a_ptrs = a_ptr + rm[:, None] * s_am + rk[None, :] * s_ak
    b_ptrs = b_ptr + rk[:, None] * s_bk + rn[None, :] * s_bn
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32 if SCALING == 2 else ACC)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        k_left = K - k * BLOCK_K
        a = _load_operand(a_ptrs, (rm[:, None] < M) & (rk[None, :] < k_left), UPCAST)
        b = _load_operand(b_ptrs, (rk[:, None] < k_left) & (rn[None, :] < N), UPCAST)
        acc = _k_step(acc, a, b, k, rm, rn, M, N, sa_ptr, sb_ptr, s_sam, s_sak, s_sbk, s_sbn, QM, QN,
                      QK_BLOCKS, ACC, SCALING, IMPRECISE_K)
        a_ptrs += BLOCK_K * s_ak
        b_ptrs += BLOCK_K * s_bk
    out = _epilogue(acc, rm, rn, M, N, sa_ptr, sb_ptr, bias_ptr, s_sam, s_sbn, SCALING, HAS_BIAS)
    c_ptrs = c_ptr + rm[:, None] * s_cm + rn[None, :] * s_cn
    tl.store(c_ptrs, out.to(c_ptr.dtype.element_ty), mask=(rm[:, None] < M) & (rn[None, :] < N))


@triton.jit
def _tma_operands(a_desc, b_desc, off_m, off_n, k, BLOCK_K: tl.constexpr, B_KMAJOR: tl.constexpr,
                  UPCAST: tl.constexpr):
    a = a_desc.load([off_m, k * BLOCK_K])
    if B_KMAJOR:
        b = b_desc.load([off_n, k * BLOCK_K]).T
    else:
        b = b_desc.load([k * BLOCK_K, off_n])
    if UPCAST:
        a, b = a.to(tl.float32), b.to(tl.float32)
    return a, b


@triton.jit
def _tilewise_k_loop(a_desc, b_desc, off_m, off_n, rm, M, K, sa_ptr, sb_ptr, s_sam, s_sak, s_sbk, s_sbn, QM, QN,
                     QK_BLOCKS: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr,
                     ACC: tl.constexpr, B_KMAJOR: tl.constexpr, UPCAST: tl.constexpr):
    """The persistent kernel's tile-wise scaled sum, for tiles within one column group of B
    (BLOCK_N divides QN): one scale per row and K block, A's times B's, and one multiply-add per
    element. Each scaling waits for its product, so the tensor cores idle meanwhile unless
    another program on the SM (programs_per_sm > 1) fills the gap."""
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k in range(0, tl.cdiv(K, BLOCK_K)):
        a, b = _tma_operands(a_desc, b_desc, off_m, off_n, k, BLOCK_K, B_KMAJOR, UPCAST)
        group = k // QK_BLOCKS
        scale = tl.load(sa_ptr + (rm // QM) * s_sam + group * s_sak, mask=rm < M, other=0.0) * tl.load(
            sb_ptr + group * s_sbk + (off_n // QN) * s_sbn)
        acc += tl.dot(a, b, out_dtype=ACC).to(tl.float32) * scale[:, None]
    return acc


@triton.jit
def _gemm_tma_kernel(a_desc, b_desc, c_desc, sa_ptr, sb_ptr, bias_ptr, M, N, K, s_sam, s_sak, s_sbk, s_sbn, QM, QN,
                     num_programs, QK_BLOCKS: tl.constexpr,
                     BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, BLOCK_K: tl.constexpr, GROUP_M: tl.constexpr,
                     ACC: tl.constexpr, SCALING: tl.constexpr, HAS_BIAS: tl.constexpr, IMPRECISE_K: tl.constexpr,
                     UPCAST: tl.constexpr, B_KMAJOR: tl.constexpr, SUBTILE: tl.constexpr,
                     WARP_SPECIALIZE: tl.constexpr):
    """Persistent: program p computes tiles p, p + num_programs, ...; out-of-bounds TMA loads
    read zeros, so K needs no masking, and TMA stores clip to the tensor."""
    tiles = tl.cdiv(M, BLOCK_M) * tl.cdiv(N, BLOCK_N)
    for tile in tl.range(tl.program_id(0), tiles, num_programs, warp_specialize=WARP_SPECIALIZE):
        pid_m, pid_n = _tile_of(tile, M, N, BLOCK_M, BLOCK_N, GROUP_M)
        off_m, off_n = pid_m * BLOCK_M, pid_n * BLOCK_N
        rm, rn = off_m + tl.arange(0, BLOCK_M), off_n + tl.arange(0, BLOCK_N)
        if SCALING == 2:
            acc = _tilewise_k_loop(a_desc, b_desc, off_m, off_n, rm, M, K, sa_ptr, sb_ptr, s_sam, s_sak, s_sbk, s_sbn,
                                   QM, QN, QK_BLOCKS, BLOCK_M, BLOCK_N, BLOCK_K, ACC, B_KMAJOR, UPCAST)
        else:
            acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=ACC)
            for k in range(0, tl.cdiv(K, BLOCK_K)):
                a, b = _tma_operands(a_desc, b_desc, off_m, off_n, k, BLOCK_K, B_KMAJOR, UPCAST)
                acc = tl.dot(a, b, acc, out_dtype=ACC, max_num_imprecise_acc=IMPRECISE_K)
        out = _epilogue(acc, rm, rn, M, N, sa_ptr, sb_ptr, bias_ptr, s_sam, s_sbn, SCALING, HAS_BIAS)
        if SUBTILE:
            # Two half-width stores halve the shared memory the epilogue stages through.
            left, right = out.reshape(BLOCK_M, 2, BLOCK_N // 2).permute(0, 2, 1).split()
            c_desc.store([off_m, off_n], left.to(c_desc.dtype))
            c_desc.store([off_m, off_n + BLOCK_N // 2], right.to(c_desc.dtype))
        else:
            c_desc.store([off_m, off_n], out.to(c_desc.dtype))


def _output_target(out: torch.Tensor, interpreting: bool) -> torch.Tensor:
    """Where a kernel writes ``out``: the interpreter truncates float32 to bfloat16, so there it
    writes float32 and the host rounds to nearest (copying back into ``out``), as the GPU does."""
    return torch.empty_like(out, dtype=torch.float32) if interpreting and out.dtype == torch.bfloat16 else out


def _tma_ready(t: torch.Tensor) -> bool:
    """TMA reads rows that are contiguous, start 16-byte aligned and are a multiple of 16 bytes apart."""
    return t.stride(1) == 1 and (t.stride(0) * t.element_size()) % 16 == 0 and t.data_ptr() % 16 == 0


def tma_layout(A: torch.Tensor, B: torch.Tensor, out: torch.Tensor) -> str | None:
    """B's contiguous dimension, "k-major" or "n-major", when the persistent TMA kernel can take
    the operands, else None. FP8 and int8 tensor-core products read B K-major only."""
    if not (_tma_ready(A) and _tma_ready(out)):
        return None
    if _tma_ready(B.t()):
        return "k-major"
    return "n-major" if _tma_ready(B) and A.element_size() == 2 else None


class Product:
    """What the kernels need to know beyond the operands: accumulation, scales, bias."""

    def __init__(self, A, acc_dtype, scale_A=None, scale_B=None, bias=None, groups=None, fast_accum=False):
        self.acc = acc_dtype
        self.scaling = PLAIN if scale_A is None else (TILEWISE if groups else ROWWISE)
        self.groups = groups or (1, 1, 1)
        unused = A.new_empty(1, dtype=torch.float32)  # a pointer for arguments the kernel ignores
        self.sa = unused if scale_A is None else scale_A
        self.sb = unused if scale_B is None else scale_B
        self.bias = bias if bias is not None else self.sa
        self.has_bias = bias is not None
        if self.scaling == TILEWISE:
            self.strides = (self.sa.stride(0), self.sa.stride(1), self.sb.stride(0), self.sb.stride(1))
        elif self.scaling == ROWWISE:  # a single value broadcasts with stride 0
            self.strides = (self.sa.stride(0) if self.sa.numel() > 1 else 0, 0, 0,
                            self.sb.stride(-1) if self.sb.numel() > 1 else 0)
        else:
            self.strides = (0, 0, 0, 0)
        promoted = A.dtype in FP8 and not fast_accum and self.scaling != TILEWISE
        self.imprecise_k = PROMOTE_K if promoted else None

    def block_k(self, block_k: int) -> int:
        return math.gcd(block_k, self.groups[2]) if self.scaling == TILEWISE else block_k

    def k_group_blocks(self, block_k: int) -> int:
        """K blocks of ``block_k`` (a divisor of the K group) in one K scale group: a constexpr, since
        dividing by a runtime group size costs a chain of dependent instructions in the K loop."""
        return self.groups[2] // block_k if self.scaling == TILEWISE else 1


def gluon_fits(A, B, out, product: Product, cfg: configs.MmConfig) -> bool:
    """Whether the Hopper Gluon kernel takes this product with ``cfg``'s tile: tile-wise scales
    whose groups hold whole tiles, on an sm_90 GPU, with A, Bᵀ
    and out that TMA can read; and a Triton with Gluon's Hopper module."""
    return (product.scaling == TILEWISE and product.groups[1] % cfg.block_n == 0
            and product.groups[2] % cfg.block_k == 0
            and runs_gluon_hopper(A, "gn_kernels.triton_gemm_hopper")
            and tma_layout(A, B, out) == "k-major")


def launch(A, B, out, product: Product, cfg: configs.MmConfig | None = None) -> None:
    """out (M, N) = A (M, K) @ B (K, N) as ``product`` says, on torch's current stream; the
    configuration given (a sweep's), else the autotuner's (gn_kernels.triton_autotune), else the
    heuristics table's."""
    (M, K), N = A.shape, B.shape[1]
    interpreting = triton_interpreting()
    table = configs.family(A.dtype, product.acc, product.scaling == TILEWISE)
    if cfg is None:
        gluon = (not interpreting and table in configs.GLUON_TABLES
                 and gluon_fits(A, B, out, product, configs.GLUON_TABLES[table]))
        cfg = (triton_autotune.choose(table, M, N, K, lambda c: launch(A, B, out, product, c), interpreting)
               or configs.pick(table, M, interpreting, gluon))
    if cfg.gluon:
        if gluon_fits(A, B, out, product, cfg):
            from .triton_gemm_hopper import gluon_tilewise_mm

            gluon_tilewise_mm(A, B, out, product, cfg)
            return
        cfg = configs.pick(table, M, interpreting)
    if not interpreting:
        cfg = configs.within_shared_memory(cfg, A.element_size(), out.element_size(),
                                           shared_memory_per_block(A.device.index))
    layout = tma_layout(A, B, out) if cfg.persistent else None
    one_column_group = product.scaling != TILEWISE or product.groups[1] % cfg.block_n == 0
    if cfg.persistent and (layout is None or not one_column_group):
        cfg = configs.pointer_fallback(cfg)
    target = _output_target(out, interpreting)
    upcast = interpreting and A.dtype in (torch.bfloat16, *FP8)
    block_k = product.block_k(cfg.block_k)
    imprecise = None if product.imprecise_k is None else min(product.imprecise_k, block_k)
    common = dict(BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_K=block_k, GROUP_M=cfg.group_m,
                  QK_BLOCKS=product.k_group_blocks(block_k), ACC=_TL[product.acc], SCALING=product.scaling,
                  HAS_BIAS=product.has_bias, IMPRECISE_K=imprecise, UPCAST=upcast, num_warps=cfg.num_warps,
                  num_stages=cfg.num_stages)
    scales = (product.sa, product.sb, product.bias)
    tiles = triton.cdiv(M, cfg.block_m) * triton.cdiv(N, cfg.block_n)
    if cfg.persistent:
        kmajor = layout == "k-major"
        a_desc = TensorDescriptor.from_tensor(A, [cfg.block_m, block_k])
        b_desc = (TensorDescriptor.from_tensor(B.t(), [cfg.block_n, block_k]) if kmajor
                  else TensorDescriptor.from_tensor(B, [block_k, cfg.block_n]))
        c_desc = TensorDescriptor.from_tensor(target, [cfg.block_m, cfg.block_n // (2 if cfg.subtile else 1)])
        programs = min(tiles, (4 if interpreting else multiprocessor_count(A.device.index)) * cfg.programs_per_sm)
        _gemm_tma_kernel[(programs,)](
            a_desc, b_desc, c_desc, *scales, M, N, K, *product.strides, *product.groups[:2], programs,
            B_KMAJOR=kmajor, SUBTILE=cfg.subtile, WARP_SPECIALIZE=cfg.warp_specialize, **common)
    else:
        _gemm_kernel[(tiles,)](
            A, B, target, *scales, M, N, K, A.stride(0), A.stride(1), B.stride(0), B.stride(1),
            target.stride(0), target.stride(1), *product.strides, *product.groups[:2], **common)
    if target is not out:
        out.copy_(target)
