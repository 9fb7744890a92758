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


# Not yet chosen by a sweep on the H100.
GPU = AttnConfig(128, 64, 8, 3)
INTERPRETER = AttnConfig(16, 16, 4, 1)


def pick(interpreting: bool) -> AttnConfig:
    return INTERPRETER if interpreting else GPU
