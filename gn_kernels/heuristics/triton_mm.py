"""Launch configurations of the Triton GEMMs (gn_kernels/triton_gemm_kernels.py), one table per
family of inputs and accumulation, rows by M.

Not yet tuned on a GPU: the starting points below (a 128x128 or 128x256 output tile, K steps of
128 bytes a row, 8 warps, a 3-4 stage pipeline, the persistent TMA kernel from M = 128) are to be
replaced by scripts/tune_triton_gemm.py's choices. Under TRITON_INTERPRET=1 small tiles keep the
CPU tests quick.
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

    @property
    def name(self) -> str:
        kind = "tma" + ("_sub" if self.subtile else "") + ("_ws" if self.warp_specialize else "") \
            if self.persistent else "ptr"
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


_WIDE_1B = MmConfig(128, 256, 128, 8, 8, 3, persistent=True, subtile=True)
_SQUARE_1B = MmConfig(128, 128, 128, 8, 8, 4, persistent=True)
_SMALL_1B = MmConfig(64, 64, 128, 8, 4, 4)
_WIDE_2B = MmConfig(128, 256, 64, 8, 8, 3, persistent=True, subtile=True)
_SMALL_2B = MmConfig(64, 64, 64, 8, 4, 4)

TABLES: dict[str, list[tuple[int | None, MmConfig]]] = {
    "16bit": [(64, _SMALL_2B), (None, _WIDE_2B)],
    "fp16_acc16": [(64, _SMALL_2B), (None, _WIDE_2B)],
    "fp8": [(64, _SMALL_1B), (None, _WIDE_1B)],
    "int8": [(64, _SMALL_1B), (None, _WIDE_1B)],
    "fp8_tilewise": [(64, _SMALL_1B), (None, _SQUARE_1B)],
    "int8_tilewise": [(64, _SMALL_1B), (None, _SQUARE_1B)],
}
INTERPRETER = MmConfig(32, 32, 32, 4, 4, 1)


def pick(table: str, M: int, interpreting: bool) -> MmConfig:
    return INTERPRETER if interpreting else row_for(TABLES[table], M)[1]


def pointer_fallback(cfg: MmConfig) -> MmConfig:
    """The pointer kernel with a persistent configuration's tile, for operands TMA cannot read."""
    return cfg._replace(persistent=False, subtile=False, warp_specialize=False)
