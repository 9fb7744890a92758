"""Shape heuristics: which kernel configuration serves which GEMM shape, one table per family.

A table's entries name a tile configuration of csrc/sm90a/gemm_configs.h, optionally with the
tile walk the sweep chose for it: "coop_128x128_c2/s1" walks bands one tile wide, a bare name
walks MAX_SWIZZLE wide. Rows are (largest M, entries...), tried in order; None bounds the last.
"""

from __future__ import annotations

# Persistent CTAs walk the tile grid in bands this many tiles wide, so that the A and B tiles
# of one wave of 132 CTAs stay in L2. At 8192^3, walking whole columns (1), ncu measured 67% of
# DRAM bandwidth busy re-reading operands (cuBLAS: 22%). An A/B on the H100
# (benchmarks/results/h100_sxm_swizzle.md): 4 took 128x128 from 0.89x to 0.98x cuBLAS at 8192^3
# and from 0.74x to 0.94x at 16384x57344x8192; 8 fell to 0.46x at 1024x8192x8192.
MAX_SWIZZLE = 4


def split(entry: str) -> tuple[str, int]:
    """(configuration, tile-walk width) of a table entry."""
    config, _, width = entry.partition("/s")
    return config, int(width) if width else MAX_SWIZZLE


def row_for(table: list, M: int) -> tuple:
    """The first row of ``table`` whose bound holds for M."""
    for row in table:
        if row[0] is None or M <= row[0]:
            return row
    raise ValueError(f"table has no row for M = {M}: its last bound must be None")
