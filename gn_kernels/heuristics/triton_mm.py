"""Launch configurations of the Triton GEMM (gn_kernels/triton_gemm_kernels.py).

Not yet tuned on a GPU: these are the usual starting points for Hopper-class tensor cores
(a 128x128 output tile, K steps of 128 bytes a row, 8 warps, a 3-4 stage pipeline), to be
replaced by a sweep's choices per M bucket. Under TRITON_INTERPRET=1 small tiles keep the
CPU tests quick.
"""

from __future__ import annotations

from typing import NamedTuple


class MmConfig(NamedTuple):
    block_m: int
    block_n: int
    block_k: int
    group_m: int  # output tiles walked in bands this many tiles tall, for L2 reuse
    num_warps: int
    num_stages: int


# by the input's element size in bytes
GPU: dict[int, MmConfig] = {
    2: MmConfig(128, 128, 64, 8, 8, 3),
    1: MmConfig(128, 128, 128, 8, 8, 4),
}
INTERPRETER = MmConfig(32, 32, 32, 4, 4, 1)


def pick(element_size: int, interpreting: bool) -> MmConfig:
    return INTERPRETER if interpreting else GPU[element_size]
