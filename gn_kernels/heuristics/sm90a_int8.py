"""Which SM90a INT8 GEMM configuration (csrc/sm90a/gemm_configs.h) serves which shape.

float32 outputs run DEFAULT; the exact int32 product has its own table.
"""

from __future__ import annotations

from . import row_for

DEFAULT = "coop_128x128_c2"

# (largest M, entry) for bfloat16 and float16 outputs: per M, the best geometric-mean speed over
# the Llama 3 8B and 70B projection shapes (scripts/tune_sm90a_gemm.py on the H100, 2026-11-23,
# M = 1 ... 4096; benchmarks/results/h100_sxm_tune_sm90a.md). Comments: against torch._int_mm,
# which refuses M <= 16 and applies no scales.
TABLE: list[tuple[int | None, str]] = [
    (16, "swap_pingpong_64x16"),
    (256, "pingpong_64x128_c1/s1"),  # M=64: 1.05x; M=256: 1.47x
    (1024, "coop_128x256_c2/s1"),  # 1.69x
    (None, "coop_128x256_c2"),  # M=4096: 1.66x
]
# (largest M, entry) for the exact int32 output: its mainloop is the scaled one's, so it takes
# that sweep's decode tile and its 1-wide tile walk below M = 1024 (at M = 64 the transposed
# 64x16 tile ran 0.98x the best with a 1-wide walk and 0.77x with a 4-wide one); not swept itself.
INT32_TABLE: list[tuple[int | None, str]] = [
    (64, "swap_pingpong_64x16/s1"),
    (1024, "coop_128x256_c2/s1"),
    (None, "coop_128x256_c2"),
]


def pick(M: int, N: int, K: int, out: str) -> str:
    """The table entry for an (M, N, K) INT8 GEMM into ``out`` (bf16, fp16, fp32, int32)."""
    if out == "fp32":
        return DEFAULT
    return row_for(INT32_TABLE if out == "int32" else TABLE, M)[1]
