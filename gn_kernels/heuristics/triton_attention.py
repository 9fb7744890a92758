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


# The fastest of benchmark_attn.py --sweep on the H100 (2026-11-23, triton 3.6; batch 4, 8 heads,
# 4096 queries, 8192 keys, head dim 128): 494 TFLOPS non-causal, 374 causal; 128x64 with 8 warps,
# the previous choice, reached 437 and 307 (benchmarks/results/h100_sxm_attn_sweep.md).
GPU = AttnConfig(64, 64, 4, 3)
INTERPRETER = AttnConfig(16, 16, 4, 1)


def pick(interpreting: bool) -> AttnConfig:
    return INTERPRETER if interpreting else GPU
