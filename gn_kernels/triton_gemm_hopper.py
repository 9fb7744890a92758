"""The Hopper tile-wise scaled GEMM behind gn_kernels.triton_gemm, in Gluon (Triton's tile-level
language with explicit layouts). Each K block's product goes to a fresh accumulator and is weighed
by its scales into the float32 sum; products are issued in pairs, the second before the first is
scaled.

Persistent: program p computes output tiles p, p + programs, ...; its (tile, K block) work items
stream through one ring of shared-memory stages, so the next tile's first blocks load during this
one's epilogue. Out-of-bounds TMA loads read zeros and TMA stores clip, so any M works.

One warp issues the loads (gl.warp_specialize) and waits for each stage to be handed back; the
warps that compute only wait, multiply and scale. Against the same kernel with the loads in the
computing warps, ptxas then places the first product's scaling between the pair's two waits, the
computing warps issue about 270 instructions a pair of K blocks instead of 399 (SASS, triton 3.6),
and it ran 1.15-1.16x faster on an H200 (benchmarks/results/h200_tune_tilewise_gluon_ws.md).

Each computing warpgroup is a partition of its own, with its rows of the tile: the barrier Triton
places before each mbarrier wait and arrive then holds one warpgroup, so the two drift apart and
one scales while the other's products run (1.02-1.04x the two as one partition, in the same run:
h200_tune_tilewise_gluon_partitions.md).
"""

from __future__ import annotations

import torch
import triton
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import (fence_async_shared, mbarrier, tma, warpgroup_mma,
                                                              warpgroup_mma_wait)
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor

from .dispatch import multiprocessor_count, warp_specialized_register_cap
from .heuristics.triton_mm import MmConfig

# K blocks issued and scaled as one group (_blocks). Groups of three or four spill registers
# (240 a thread, 128x128 tiles).
GROUP_K = 2
GL_DTYPES = {torch.bfloat16: gl.bfloat16, torch.float16: gl.float16, torch.float32: gl.float32,
             torch.int8: gl.int8, torch.float8_e4m3fn: gl.float8e4nv, torch.float8_e5m2: gl.float8e5}


@gluon.jit
def _tile_offsets(tile, M, N, BLOCK_M: gl.constexpr, BLOCK_N: gl.constexpr, GROUP_M: gl.constexpr):
    """First row and column of output tile `tile`, walked in bands GROUP_M tiles tall (as the
    Triton kernels walk them) so that consecutive tiles share A and B blocks in L2."""
    band = GROUP_M * gl.cdiv(N, BLOCK_N)
    first_m = (tile // band) * GROUP_M
    band_m = gl.minimum(gl.cdiv(M, BLOCK_M) - first_m, GROUP_M)
    return (first_m + (tile % band) % band_m) * BLOCK_M, ((tile % band) // band_m) * BLOCK_N


@gluon.jit
def _product(a_smem, b_smem, ready, item, into, ROW0: gl.constexpr):
    """Issues work item `item`'s product once its blocks have landed, into the registers of `into`
    (a finished product, whose value it ignores): rows ROW0 ... of the A block; returns the token
    to wait on."""
    STAGES: gl.constexpr = a_smem.shape[0]
    stage = item % STAGES
    mbarrier.wait(ready.index(stage), (item // STAGES) & 1)
    return warpgroup_mma(a_smem.index(stage).slice(ROW0, into.shape[0]), b_smem.index(stage).permute((1, 0)), into,
                         use_acc=False, is_async=True)


@gluon.jit
def _block_scale(sa_ptr, sb_col, rm, M, k, s_sam, s_sak, s_sbk, QM, QK_BLOCKS: gl.constexpr):
    """scale_A times scale_B for the rows `rm` of one tile and its K block `k` (the tile lies in one
    column group of B and the block in one K group)."""
    # QK_BLOCKS a constexpr: a division by a runtime group size compiled to a chain of dependent
    # instructions (I2F, MUFU.RCP, F2I, R2UR) that ptxas placed between one product's WGMMAs,
    # holding back their issue.
    group = k // QK_BLOCKS
    return gl.load(sa_ptr + (rm // QM) * s_sam + group * s_sak, mask=rm < M, other=0.0) * gl.load(
        sb_col + group * s_sbk)


@gluon.jit
def _scale_in(acc, done, scale, stage, empty):
    """acc plus a finished product `done` times its `scale`; hands its stage back to the producer."""
    # One thread arrives once the partition's warpgroup meets, its WGMMAs done with the stage; the
    # stage is free when every partition has (empty's count).
    mbarrier.arrive(empty.index(stage), count=1)
    return acc + done.to(gl.float32) * scale[:, None]


@gluon.jit
def _blocks(acc, x, y, k0, first, a_smem, b_smem, ready, empty, rm, M, sa_ptr, sb_col, s_sam, s_sak, s_sbk, QM,
            QK_BLOCKS: gl.constexpr, ROW0: gl.constexpr, COUNT: gl.constexpr):
    """acc plus the scaled products of the tile's K blocks k0 ... k0 + COUNT - 1 (work items first +
    k0 ...), each issued before the one before it is scaled. x and y are finished products whose
    registers take the new ones in turn; all are finished on return. ptxas serializes every WGMMA
    (C7514) if a product is still in flight across a loop's back edge when it is read, hence
    groups of blocks rather than one product carried from step to step. ROW0: the partition's first
    row of the tile."""
    STAGES: gl.constexpr = a_smem.shape[0]
    sx = _block_scale(sa_ptr, sb_col, rm, M, k0, s_sam, s_sak, s_sbk, QM, QK_BLOCKS)
    x = _product(a_smem, b_smem, ready, first + k0, x, ROW0)
    for u in gl.static_range(1, COUNT):
        done = (first + k0 + u - 1) % STAGES
        if u % 2 == 1:
            sy = _block_scale(sa_ptr, sb_col, rm, M, k0 + u, s_sam, s_sak, s_sbk, QM, QK_BLOCKS)
            y = _product(a_smem, b_smem, ready, first + k0 + u, y, ROW0)
            x = warpgroup_mma_wait(1, deps=[x])
            acc = _scale_in(acc, x, sx, done, empty)
        else:
            sx = _block_scale(sa_ptr, sb_col, rm, M, k0 + u, s_sam, s_sak, s_sbk, QM, QK_BLOCKS)
            x = _product(a_smem, b_smem, ready, first + k0 + u, x, ROW0)
            y = warpgroup_mma_wait(1, deps=[y])
            acc = _scale_in(acc, y, sy, done, empty)
    last = (first + k0 + COUNT - 1) % STAGES
    if COUNT % 2 == 1:
        x = warpgroup_mma_wait(0, deps=[x])
        acc = _scale_in(acc, x, sx, last, empty)
    else:
        y = warpgroup_mma_wait(0, deps=[y])
        acc = _scale_in(acc, y, sy, last, empty)
    return acc, x, y


@gluon.jit
def _producer(a_desc, b_desc, a_smem, b_smem, ready, empty, M, N, K, GROUP_M: gl.constexpr):
    """The warp that loads: every (tile, K block) of this program into the ring, each stage once
    the consumers have handed it back."""
    STAGES: gl.constexpr = a_smem.shape[0]
    BLOCK_M: gl.constexpr = a_desc.block_type.shape[0]
    BLOCK_K: gl.constexpr = a_desc.block_type.shape[1]
    BLOCK_N: gl.constexpr = b_desc.block_type.shape[0]
    k_blocks = gl.cdiv(K, BLOCK_K)
    tiles = gl.cdiv(M, BLOCK_M) * gl.cdiv(N, BLOCK_N)
    stage = 0
    phase = 1  # a fresh barrier's phase before its first completion: the first round waits for nothing
    for tile in range(gl.program_id(0), tiles, gl.num_programs(0)):
        off_m, off_n = _tile_offsets(tile, M, N, BLOCK_M, BLOCK_N, GROUP_M)
        for k in range(k_blocks):
            mbarrier.wait(empty.index(stage), phase)
            mbarrier.expect(ready.index(stage), a_desc.block_type.nbytes + b_desc.block_type.nbytes)
            tma.async_copy_global_to_shared(a_desc, [off_m, k * BLOCK_K], ready.index(stage), a_smem.index(stage))
            tma.async_copy_global_to_shared(b_desc, [off_n, k * BLOCK_K], ready.index(stage), b_smem.index(stage))
            stage += 1
            if stage == STAGES:
                stage = 0
                phase ^= 1


@gluon.jit
def _consumer(c_desc, sa_ptr, sb_ptr, bias_ptr, a_smem, b_smem, c_smem, ready, empty, M, N, K, s_sam, s_sak, s_sbk,
              s_sbn, QM, QN, QK_BLOCKS: gl.constexpr, PART: gl.constexpr, GROUP_M: gl.constexpr, GROUP_K: gl.constexpr,
              HAS_BIAS: gl.constexpr):
    """The warps that compute rows PART * ROWS ... of each of this program's tiles (ROWS: c_desc's
    block), in the order the producer loads their blocks (work item `first` + k is K block k of the
    current tile), each stored by TMA."""
    BLOCK_M: gl.constexpr = a_smem.shape[1]
    ROWS: gl.constexpr = c_desc.block_type.shape[0]
    BLOCK_N: gl.constexpr = c_desc.block_type.shape[1]
    BLOCK_K: gl.constexpr = a_smem.shape[2]
    ACC: gl.constexpr = gl.int32 if a_smem.dtype == gl.int8 else gl.float32
    layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[gl.num_warps(), 1],
                                                     instr_shape=[16, BLOCK_N, 32])
    c_rows = c_smem.index(PART)
    k_blocks = gl.cdiv(K, BLOCK_K)
    tiles = gl.cdiv(M, BLOCK_M) * gl.cdiv(N, BLOCK_N)
    x = gl.zeros([ROWS, BLOCK_N], ACC, layout)
    y = gl.zeros([ROWS, BLOCK_N], ACC, layout)
    grouped = k_blocks - k_blocks % GROUP_K
    first = 0
    for tile in range(gl.program_id(0), tiles, gl.num_programs(0)):
        off_m, off_n = _tile_offsets(tile, M, N, BLOCK_M, BLOCK_N, GROUP_M)
        off_m += PART * ROWS
        rm = off_m + gl.arange(0, ROWS, layout=gl.SliceLayout(1, layout))
        sb_col = sb_ptr + (off_n // QN) * s_sbn
        acc = gl.zeros([ROWS, BLOCK_N], gl.float32, layout)
        for k0 in range(0, grouped, GROUP_K):
            acc, x, y = _blocks(acc, x, y, k0, first, a_smem, b_smem, ready, empty, rm, M, sa_ptr, sb_col,
                                s_sam, s_sak, s_sbk, QM, QK_BLOCKS, PART * ROWS, GROUP_K)
        for k0 in range(grouped, k_blocks):
            acc, x, y = _blocks(acc, x, y, k0, first, a_smem, b_smem, ready, empty, rm, M, sa_ptr, sb_col,
                                s_sam, s_sak, s_sbk, QM, QK_BLOCKS, PART * ROWS, 1)
        if HAS_BIAS:
            rn = off_n + gl.arange(0, BLOCK_N, layout=gl.SliceLayout(0, layout))
            acc += gl.load(bias_ptr + rn, mask=rn < N, other=0.0).to(gl.float32)[None, :]
        tma.store_wait(0)  # the previous tile's store has left c_rows
        c_rows.store(acc.to(c_desc.dtype))
        fence_async_shared()
        tma.async_copy_shared_to_global(c_desc, [off_m, off_n], c_rows)
        first += k_blocks
    tma.store_wait(0)


@gluon.jit
def _tilewise_kernel(a_desc, b_desc, c_desc, sa_ptr, sb_ptr, bias_ptr, M, N, K, s_sam, s_sak, s_sbk, s_sbn,
                     QM, QN, QK_BLOCKS: gl.constexpr, GROUP_M: gl.constexpr, GROUP_K: gl.constexpr,
                     STAGES: gl.constexpr, PARTS: gl.constexpr, HAS_BIAS: gl.constexpr, num_warps: gl.constexpr):
    a_smem = gl.allocate_shared_memory(a_desc.dtype, [STAGES] + a_desc.block_type.shape, a_desc.layout)
    b_smem = gl.allocate_shared_memory(b_desc.dtype, [STAGES] + b_desc.block_type.shape, b_desc.layout)
    c_smem = gl.allocate_shared_memory(c_desc.dtype, [PARTS] + c_desc.block_type.shape, c_desc.layout)
    ready = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    empty = gl.allocate_shared_memory(gl.int64, [STAGES, 1], mbarrier.MBarrierLayout())
    for i in gl.static_range(STAGES):
        mbarrier.init(ready.index(i), count=1)
        mbarrier.init(empty.index(i), count=PARTS)
    producer_args = (a_desc, b_desc, a_smem, b_smem, ready, empty, M, N, K, GROUP_M)
    if PARTS == 1:
        gl.warp_specialize([
            (_consumer, (c_desc, sa_ptr, sb_ptr, bias_ptr, a_smem, b_smem, c_smem, ready, empty, M, N, K, s_sam,
                         s_sak, s_sbk, s_sbn, QM, QN, QK_BLOCKS, 0, GROUP_M, GROUP_K, HAS_BIAS)),
            (_producer, producer_args),
        ], [1], [24])
    else:
        gl.warp_specialize([
            (_consumer, (c_desc, sa_ptr, sb_ptr, bias_ptr, a_smem, b_smem, c_smem, ready, empty, M, N, K, s_sam,
                         s_sak, s_sbk, s_sbn, QM, QN, QK_BLOCKS, 0, GROUP_M, GROUP_K, HAS_BIAS)),
            (_consumer, (c_desc, sa_ptr, sb_ptr, bias_ptr, a_smem, b_smem, c_smem, ready, empty, M, N, K, s_sam,
                         s_sak, s_sbk, s_sbn, QM, QN, QK_BLOCKS, 1, GROUP_M, GROUP_K, HAS_BIAS)),
            (_producer, producer_args),
        # 240: the most a consumer warpgroup can take, with the producer's 24, in 64K (multiples of 8).
        ], [num_warps, 1], [240, 24])


def _descriptor(t: torch.Tensor, block: list[int]) -> TensorDescriptor:
    layout = gl.NVMMASharedLayout.get_default_for(block, GL_DTYPES[t.dtype])
    return TensorDescriptor.from_tensor(t, block, layout)


def _partitions(cfg: MmConfig) -> int:
    """Computing partitions of a program: one a warpgroup."""
    return cfg.num_warps // 4


def launch_options(cfg: MmConfig) -> dict:
    """_tilewise_kernel's constexprs and compile options for ``cfg``: its computing partitions
    (PARTS, each of num_warps warps), and the register cap for cfg.programs_per_sm programs an SM."""
    parts = _partitions(cfg)
    return dict(GROUP_M=cfg.group_m, GROUP_K=GROUP_K, STAGES=cfg.num_stages, PARTS=parts,
                num_warps=cfg.num_warps // parts,
                maxnreg=warp_specialized_register_cap(cfg.num_warps, cfg.programs_per_sm))


def output_block(cfg: MmConfig) -> list[int]:
    """The block of the output each computing partition stores: its rows of a tile."""
    return [cfg.block_m // _partitions(cfg), cfg.block_n]


def gluon_tilewise_mm(A, B, out, product, cfg: MmConfig) -> None:
    """out = A @ B with tile-wise scales and optional bias (triton_gemm_kernels.Product), on sm_90,
    for A and Bᵀ that TMA can read, scale groups that hold whole tiles (QN a multiple of
    cfg.block_n, QK of cfg.block_k) and a contiguous out."""
    (M, K), N = A.shape, B.shape[1]
    tiles = triton.cdiv(M, cfg.block_m) * triton.cdiv(N, cfg.block_n)
    programs = min(tiles, multiprocessor_count(A.device.index) * cfg.programs_per_sm)
    _tilewise_kernel[(programs,)](
        _descriptor(A, [cfg.block_m, cfg.block_k]), _descriptor(B.t(), [cfg.block_n, cfg.block_k]),
        _descriptor(out, output_block(cfg)), product.sa, product.sb, product.bias, M, N, K, *product.strides,
        *product.groups[:2], QK_BLOCKS=product.k_group_blocks(cfg.block_k), HAS_BIAS=product.has_bias,
        **launch_options(cfg))
