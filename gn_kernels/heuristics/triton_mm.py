"""Launch configurations of the Triton GEMMs (gn_kernels/triton_gemm_kernels.py), one table per
family of inputs and accumulation, rows by M.

Under TRITON_INTERPRET=1 small tiles keep the CPU tests quick.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from . import row_for


class MmConfig(NamedTuple):
    block_m: int
    block_n: int
    block_k: int
    group_m: int  # output tiles walked in bands this many tiles tall, for L2 reuse
    num_warps: int
    num_stages: int
    persistent: bool = False  # the persistent TMA kernel (needs 16-byte aligned rows)
    subtile: bool = False  # persistent only: store the output tile in two halves
    warp_specialize: bool = False  # persistent only: producer and consumer warps
    # persistent only: programs launched per SM; above 1, programs sharing an SM overlap one's
    # tensor-core work with another's scaling or epilogue
    programs_per_sm: int = 1
    # the Hopper tile-wise kernel of gn_kernels/triton_gemm_hopper.py (persistent, TMA, sm_90 only)
    gluon: bool = False

    @property
    def name(self) -> str:
        kind = "tma" + ("_sub" if self.subtile else "") + ("_ws" if self.warp_specialize else "") \
            if self.persistent else "ptr"
        kind = ("gluon" + ("_ws" if self.warp_specialize else "")) if self.gluon else kind
        occupancy = f"_p{self.programs_per_sm}" if self.programs_per_sm > 1 else ""
        return (f"{kind}{occupancy}_{self.block_m}x{self.block_n}x{self.block_k}_w{self.num_warps}_s{self.num_stages}"
                f"_g{self.group_m}")


def family(dtype: torch.dtype, acc: torch.dtype, tilewise: bool) -> str:
    """The table a GEMM takes: by input width and accumulation, tile-wise scaling apart."""
    if dtype == torch.int8:
        return "int8_tilewise" if tilewise else "int8"
    if dtype.itemsize == 1:
        return "fp8_tilewise" if tilewise else "fp8"
    return "fp16_acc16" if acc == torch.float16 else "16bit"


# Chosen by scripts/tune_triton_gemm.py on the H100 (2026-11-23; triton 3.6): per M, the best
# geometric-mean time over the Llama 3 8B and 70B projection shapes; the numbers are that mean
# against cuBLAS in the same run (benchmarks/results/h100_sxm_tune_triton.md). M = 16 and 256
# were swept for FP8, int8 and bfloat16, M = 1024, 4096 and 16384 for every table; rows marked
# "as" take another table's measured choice.
_DECODE_1B = MmConfig(64, 32, 256, 8, 4, 4)  # fp8 1.12x, int8 (no peer below M = 17)
_SMALL_1B = MmConfig(64, 128, 128, 8, 4, 4)  # M = 256: fp8 0.75x, int8 1.10x
_LARGE_1B = MmConfig(256, 128, 128, 8, 8, 4, persistent=True, subtile=True)  # fp8 0.90-0.94x
_LARGE_INT8 = MmConfig(128, 256, 128, 8, 8, 4, persistent=True, subtile=True)  # 1.34-1.36x
# Tile-wise scaling waits for each product before scaling it: two programs per SM keep the tensor
# cores busy meanwhile (0.42x cuBLAS row-wise with one, 0.65x with two).
_TILEWISE = MmConfig(128, 128, 128, 8, 8, 3, persistent=True, subtile=True, programs_per_sm=2)
_TILEWISE_SMALL = MmConfig(64, 128, 128, 8, 4, 3, persistent=True, subtile=True, programs_per_sm=3)
# The Gluon kernel (sm_90, gn_kernels/triton_gemm_hopper.py; its configurations carry
# warp_specialize: the kernel always has its producer warp, and each computing warpgroup is a
# partition). Its sweeps on an H200 (benchmarks/results/h200_tune_tilewise_gluon_*.md): 128x128
# tiles on two warpgroups, four stages and bands of 16; three stages 0.80-0.85 of that, five 0.99;
# one warpgroup and two programs an SM 0.84-0.86; 128x256 tiles in 128-column halves 0.76-0.82.
# With the K group a constexpr: 0.90-0.91x, 0.86x and 0.85-0.86x cuBLAS row-wise at M = 1024, 4096
# and 16384 (h200_tilewise_constexpr_k_group.md, 2026-12-03, three runs).
_TILEWISE_GLUON = MmConfig(128, 128, 128, 16, 8, 4, persistent=True, warp_specialize=True, gluon=True)
_TILEWISE_GLUON_ONE_WARPGROUP = MmConfig(64, 128, 128, 16, 4, 3, persistent=True, warp_specialize=True,
                                         programs_per_sm=2, gluon=True)
_DECODE_2B = MmConfig(64, 32, 128, 8, 4, 4)  # bf16 0.96x
_SMALL_2B = MmConfig(128, 128, 64, 8, 4, 3, persistent=True, subtile=True, programs_per_sm=2)  # M = 256: 0.71x
_LARGE_2B = MmConfig(128, 256, 64, 8, 8, 3, persistent=True, subtile=True)  # bf16 0.96-0.99x
# float16 accumulation: Triton 3.6 waits for each FP16-accumulating WGMMA before issuing the next
# (float32 accumulators keep one in flight), so these reach 0.80-0.85x cuBLAS's bfloat16.
_ACC16_1024 = MmConfig(128, 256, 64, 8, 8, 4, persistent=True, subtile=True)
_ACC16_LARGE = MmConfig(256, 256, 32, 8, 8, 4, persistent=True, subtile=True)

TABLES: dict[str, list[tuple[int | None, MmConfig]]] = {
    "16bit": [(16, _DECODE_2B), (256, _SMALL_2B), (None, _LARGE_2B)],
    "fp16_acc16": [(16, _DECODE_2B), (256, _SMALL_2B), (1024, _ACC16_1024), (None, _ACC16_LARGE)],  # small M as 16bit
    "fp8": [(16, _DECODE_1B), (256, _SMALL_1B), (None, _LARGE_1B)],
    "int8": [(16, _DECODE_1B), (256, _SMALL_1B), (None, _LARGE_INT8)],
    "fp8_tilewise": [(256, _TILEWISE_SMALL), (None, _TILEWISE)],  # M <= 256 not swept
    "int8_tilewise": [(256, _TILEWISE_SMALL), (None, _TILEWISE)],  # as fp8_tilewise
}
INTERPRETER = MmConfig(32, 32, 32, 4, 4, 1)


def _candidates(block_k: int, tilewise: bool = False, wide: bool = False) -> list[MmConfig]:
    """Tiles for inputs whose K step is ``block_k`` elements (128 bytes a row). Tile-wise scaling
    takes the persistent kernel only with tiles inside one 128-column group of B; it waits for
    each product before scaling it, so two or three programs per SM share the tensor cores.
    ``wide`` adds 256x256 tiles, whose accumulator fits the registers only at 16 bits."""
    if tilewise:
        big = [MmConfig(128, 128, block_k, 8, 8, 3, persistent=True, subtile=True, programs_per_sm=2),
               MmConfig(128, 128, block_k, 8, 4, 3, persistent=True, subtile=True, programs_per_sm=2),
               MmConfig(256, 128, block_k, 8, 8, 3, persistent=True, subtile=True),
               MmConfig(128, 128, block_k, 8, 8, 4, persistent=True, subtile=True),
               _TILEWISE_GLUON,
               _TILEWISE_GLUON._replace(num_stages=3),
               _TILEWISE_GLUON._replace(num_stages=5),
               _TILEWISE_GLUON._replace(group_m=8),
               _TILEWISE_GLUON_ONE_WARPGROUP]
    else:
        big = [MmConfig(128, 256, block_k, 8, 8, 3, persistent=True, subtile=True),
               MmConfig(128, 256, block_k, 8, 8, 4, persistent=True, subtile=True),
               MmConfig(256, 128, block_k, 8, 8, 4, persistent=True, subtile=True),
               MmConfig(256, 128, block_k, 8, 8, 4, persistent=True, subtile=True, warp_specialize=True),
               MmConfig(128, 128, block_k, 8, 8, 3, persistent=True, subtile=True, programs_per_sm=2)]
    if wide:
        # 256x256x64 with 3 stages asks 262 KB of shared memory; K steps of 32 fit 4 in 197 KB.
        big += [MmConfig(256, 256, block_k // 2, 8, 8, 4, persistent=True, subtile=True)]
    small = [MmConfig(64, 64, block_k, 8, 4, 4),
             MmConfig(64, 128, block_k, 8, 4, 4),
             MmConfig(64, 128, block_k, 8, 4, 3, persistent=True, subtile=True, programs_per_sm=3),
             MmConfig(64, 32, 2 * block_k, 8, 4, 4),
             MmConfig(128, 128, block_k, 8, 4, 3, persistent=True, subtile=True, programs_per_sm=2)]
    return big + small


# What scripts/tune_triton_gemm.py sweeps and the autotuner (gn_kernels.triton_autotune) times, per table.
CANDIDATES: dict[str, list[MmConfig]] = {
    "16bit": _candidates(64),
    "fp16_acc16": _candidates(64, wide=True),
    "fp8": _candidates(128),
    "int8": _candidates(128),
    "fp8_tilewise": _candidates(128, tilewise=True),
    "int8_tilewise": _candidates(128, tilewise=True),
}


GLUON_TABLES = {"fp8_tilewise": _TILEWISE_GLUON, "int8_tilewise": _TILEWISE_GLUON}  # from M = 257 on


def pick(table: str, M: int, interpreting: bool, gluon: bool = False) -> MmConfig:
    """gluon: the operands fit the Gluon kernel (triton_gemm_kernels.gluon_fits)."""
    if interpreting:
        return INTERPRETER
    if gluon and table in GLUON_TABLES and M > SMALL_TILE_MAX_M:
        return GLUON_TABLES[table]
    return row_for(TABLES[table], M)[1]


def shared_memory(cfg: MmConfig, in_bytes: int, out_bytes: int) -> int:
    """Bytes of shared memory cfg's kernel asks for: its stages of operand blocks and, persistent,
    the output tile (or half of it, subtiled) staged for its TMA store."""
    staged_out = cfg.block_m * cfg.block_n // (2 if cfg.subtile else 1) * out_bytes if cfg.persistent else 0
    return cfg.num_stages * (cfg.block_m + cfg.block_n) * cfg.block_k * in_bytes + staged_out


def within_shared_memory(cfg: MmConfig, in_bytes: int, out_bytes: int, limit: int) -> MmConfig:
    """cfg with fewer stages (two at least) until it fits ``limit`` bytes: the tables' tiles were
    chosen for 16-bit outputs, and a float32 one staged through shared memory can overflow it
    (256x128x128 FP8 with 4 stages and a float32 output asks 256 KiB)."""
    while cfg.num_stages > 2 and shared_memory(cfg, in_bytes, out_bytes) > limit:
        cfg = cfg._replace(num_stages=cfg.num_stages - 1)
    return cfg


def pointer_fallback(cfg: MmConfig) -> MmConfig:
    """The pointer kernel with a persistent configuration's tile, for operands TMA cannot read."""
    return cfg._replace(persistent=False, subtile=False, warp_specialize=False, gluon=False)

SMALL_TILE_MAX_M = 256  # 64-row and 4-warp tiles are worth timing up to this M (tile-wise scaling: always)


def candidates(table: str, M: int, interpreting: bool = False) -> list[MmConfig]:
    """The configurations worth timing for ``table`` at M; under the interpreter, its two small ones."""
    if interpreting:
        return [INTERPRETER, INTERPRETER._replace(persistent=True, subtile=True)]
    return [c for c in CANDIDATES[table]
            if (c.block_m > 64 and c.num_warps == 8) or M <= SMALL_TILE_MAX_M or table.endswith("tilewise")]

