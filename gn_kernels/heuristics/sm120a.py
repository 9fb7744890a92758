"""Which SM120a configuration (csrc/sm120a/gemm_configs.h) serves which shape.

One configuration so far, CUTLASS's own for its block-scaled GeForce GEMMs: no SM120 GPU is at
hand to sweep on. Rows are (largest M, entry), as in the SM90a tables.
"""

from __future__ import annotations

from . import row_for

TABLE: list[tuple[int | None, str]] = [(None, "tile_128x128x128")]


def pick(M: int, N: int, K: int) -> str:
    return row_for(TABLE, M)[1]
