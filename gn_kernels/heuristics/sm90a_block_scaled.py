"""Which SM90a block-scaled FP8 GEMM configuration (csrc/sm90a/gemm_configs.h) serves which shape.

float32 outputs run DEFAULT.
"""

from __future__ import annotations

from . import row_for

DEFAULT = "coop_128x128_c2"

# (largest M, entry) for bfloat16 and float16 outputs: per M, the best geometric-mean speed over
# the Llama 3 8B and 70B projection shapes (scripts/tune_sm90a_gemm.py on the H100, M = 1 ...
# 16384, swept again on 2026-11-24 after the mainloop began to overlap its scaled promotions;
# benchmarks/results/h100_sxm_tune_sm90a_overlapped.md). Comments: against cuBLAS's block-wise
# scaled GEMM, which refuses M = 1. Beyond M = 4096 the tile walk is 4 wide.
TABLE: list[tuple[int | None, str]] = [
    (256, "pingpong_64x128_c1/s1"),  # M=16: 1.06x; M=64: 1.09x; M=256: 0.98x
    (4096, "coop_128x128_c2/s1"),  # M=1024: 0.91x; M=4096: 0.88x
    (None, "coop_128x128_c2"),  # M=16384: 0.87x
]


def pick(M: int, N: int, K: int, out: str) -> str:
    """The table entry for an (M, N, K) block-scaled GEMM into ``out`` (bf16, fp16, fp32)."""
    return DEFAULT if out == "fp32" else row_for(TABLE, M)[1]
