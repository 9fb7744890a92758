"""Which SM90a FP8 GEMM configuration (csrc/sm90a/gemm_configs.h) serves which shape.

Rows are tried in order and the first whose bounds hold wins. The configurations
are instantiated for E4M3 x E4M3 into bfloat16 and float16; every other variant
(float32 out, E5M2 operands) runs DEFAULT.
"""

from __future__ import annotations

DEFAULT = "coop_128x128_c2"

# (largest M, configuration with promoted accumulation, with fast accumulation): per M of
# the sweep, the configuration with the best geometric-mean speed over the Llama 3 8B and 70B
# projection shapes (scripts/tune_fp8_gemm.py on the H100, 2026-11-23; the summary is
# benchmarks/results/h100_sxm_tune_fp8.md). Decode sizes run the GEMM transposed, so that the
# weight's N fills 64-row tiles and a few rows of A a 16-wide side.
TABLE: list[tuple[int | None, str, str]] = [
    (16, "swap_pingpong_64x16", "swap_pingpong_64x16"),  # M=1: 1.25x / 1.15x cuBLAS; M=16: 1.17x / 1.11x
    (64, "pingpong_64x128_c1", "swap_pingpong_64x16"),  # 1.03x / 1.09x
    (256, "coop_128x128_streamk", "pingpong_64x128_c1"),  # 0.95x / 1.01x
    (1024, "coop_128x128_c2", "pingpong_128x128_c2"),  # 0.98x / 0.97x
    (None, "coop_128x128_c2", "coop_128x256_c2"),  # M=4096: 0.95x / 0.97x; M=16384: 0.89x / 0.90x
]

# Persistent CTAs walk the tile grid in bands this many tiles wide, so that the A and B tiles
# of one wave of 132 CTAs stay in L2. At 8192^3, walking whole columns (1), ncu measured 67% of
# DRAM bandwidth busy re-reading operands (cuBLAS: 22%). An A/B on the H100
# (benchmarks/results/h100_sxm_swizzle.md): 4 took 128x128 from 0.89x to 0.98x cuBLAS at 8192^3
# and from 0.74x to 0.94x at 16384x57344x8192; 8 fell to 0.46x at 1024x8192x8192. The small-M
# rows of TABLE were tuned at 1, and M=64-256 with fast accumulation measured slower under 4
# than in their sweep: this wants tuning per row.
MAX_SWIZZLE = 4

TUNED_VARIANTS = {("bf16", "e4m3", "e4m3"), ("fp16", "e4m3", "e4m3")}


def pick(M: int, N: int, K: int, out: str, a: str, b: str, fast_accum: bool) -> str:
    """The configuration name for an (M, N, K) GEMM with output ``out`` and operands ``a``, ``b``
    (short names: bf16, fp16, fp32, e4m3, e5m2)."""
    if (out, a, b) not in TUNED_VARIANTS:
        return DEFAULT
    for max_m, promoted, fast in TABLE:
        if max_m is None or M <= max_m:
            return fast if fast_accum else promoted
    return DEFAULT
