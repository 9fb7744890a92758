"""Which CUTLASS 2.x mma.sync configuration (csrc/sm80/gemm_configs.h, csrc/sm89/gemm_configs.h)
serves which shape: the SM80 INT4 and SM89 FP8 families.

Each family has one tile configuration so far, chosen from CUTLASS's own defaults for its
instruction shape rather than measured: the H100 runs these kernels only through PTX, so a
sweep there would tune them for the wrong GPU. Rows are (largest M, entry), as in the SM90a tables.
"""

from __future__ import annotations

from . import row_for

SM89_FP8: list[tuple[int | None, str]] = [(None, "tile_128x128x64")]
SM80_INT4: list[tuple[int | None, str]] = [(None, "tile_128x256x128")]


def pick_sm89_fp8(M: int, N: int, K: int) -> str:
    return row_for(SM89_FP8, M)[1]


def pick_sm80_int4(M: int, N: int, K: int) -> str:
    return row_for(SM80_INT4, M)[1]
