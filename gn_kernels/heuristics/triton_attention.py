"""Launch configuration of the Triton attention kernel (gn_kernels/triton_attention_kernels.py)."""

from __future__ import annotations

from typing import NamedTuple


class AttnConfig(NamedTuple):
    block_m: int  # queries per program
    block_n: int  # keys per step
    num_warps: int
    num_stages: int

    @property
    def name(self) -> str:
        return f"{self.block_m}x{self.block_n}_w{self.num_warps}_s{self.num_stages}"


# bfloat16 q and k: the fastest of benchmark_attn.py --sweep on the H100 (2026-11-23, triton 3.6;
# batch 4, 8 heads, 4096 queries, 8192 keys, head dim 128): 494 TFLOPS non-causal, 374 causal,
# where 128x64 with 8 warps reached 437 and 307 (benchmarks/results/h100_sxm_attn_sweep.md).
SIXTEEN_BIT = AttnConfig(64, 64, 4, 3)
# int8 or FP8 q and k: 128x64 with 8 warps, 465-489 TFLOPS non-causal there; 64x64 with 4 warps,
# 442-447 (benchmarks/results/h100_sxm_attn.md).
QUANTIZED = AttnConfig(128, 64, 8, 3)
INTERPRETER = AttnConfig(16, 16, 4, 1)


def pick(quantized_qk: bool, interpreting: bool) -> AttnConfig:
    if interpreting:
        return INTERPRETER
    return QUANTIZED if quantized_qk else SIXTEEN_BIT
