"""scripts/probe_wgmma.py times what it says: the attention's 64x128 WGMMA of each operand dtype,
waited for step by step or chained without a wait (SASS for sm_90a, no GPU needed)."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1]))
from kernels import probe_wgmma_sm90a_sass  # noqa: E402

INSTRUCTION = {"int8": "IGMMA.64x128x32.S8.S8", "float8_e4m3fn": "QGMMA.64x128x32.F32.E4M3.E4M3",
               "bfloat16": "HGMMA.64x128x16.F32.BF16"}


@pytest.mark.parametrize("dtype", list(INSTRUCTION))
def test_chained_steps_wait_once_and_waited_steps_wait_for_each(dtype):
    for wait_each in (False, True):
        sass = probe_wgmma_sm90a_sass(dtype, wait_each)
        mmas = [op for op in sass if "GMMA" in op]
        assert mmas and all(op.startswith(INSTRUCTION[dtype]) for op in mmas), mmas
        waits = sum(op.startswith("WARPGROUP.DEPBAR") for op in sass)
        # 16 KB of operands is 4 instructions of K 32 (8-bit) or 16 (bfloat16) a step.
        assert waits >= len(mmas) // 4 if wait_each else waits == 1, (wait_each, waits, len(mmas))
