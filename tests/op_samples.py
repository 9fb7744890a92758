"""Sample arguments for every registered gn_kernels op, for torch.library.opcheck.

test_ops.py fails if an op is registered without samples here, so no op escapes opcheck.
"""

import torch

FP8 = torch.float8_e4m3fn


def _fp8(rows, cols):
    return torch.randn(rows, cols, device="cuda").to(FP8)


def cutlass_fp8_mm():
    return [
        (_fp8(64, 128), _fp8(32, 128).t()),
        (_fp8(7, 64), _fp8(48, 64).t(), torch.float16),
        (_fp8(129, 32), _fp8(16, 32).t(), torch.float32),
    ]


SAMPLES = {
    "gn_kernels::cutlass_fp8_mm": cutlass_fp8_mm,
}
