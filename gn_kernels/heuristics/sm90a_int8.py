"""Which SM90a INT8 GEMM configuration (csrc/sm90a/gemm_configs.h) serves which shape.

No INT8 sweep has run yet: the rows repeat what the FP8 sweep chose for fast accumulation,
which like INT8 keeps its sums in the tensor cores at the same peak rate. float32 outputs
run DEFAULT; the exact int32 product has its own two rows.
"""

from __future__ import annotations

DEFAULT = "coop_128x128_c2"

# (largest M, configuration) for bfloat16 and float16 outputs.
TABLE: list[tuple[int | None, str]] = [
    (64, "swap_pingpong_64x16"),
    (256, "pingpong_64x128_c1"),
    (1024, "pingpong_128x128_c2"),
    (None, "coop_128x256_c2"),
]
# (largest M, configuration) for the exact int32 output.
INT32_TABLE: list[tuple[int | None, str]] = [
    (64, "swap_pingpong_64x16"),
    (None, "coop_128x256_c2"),
]


def pick(M: int, N: int, K: int, out: str) -> str:
    """The configuration name for an (M, N, K) INT8 GEMM into ``out`` (bf16, fp16, fp32, int32)."""
    if out == "fp32":
        return DEFAULT
    for max_m, config in INT32_TABLE if out == "int32" else TABLE:
        if max_m is None or M <= max_m:
            return config
    return DEFAULT
