"""Run one SM90a GEMM in one tile configuration a few times, for a profiler to catch:

    ncu --set full -k regex:device_kernel --launch-skip 1 --launch-count 1 \\
        python scripts/profile_sm90a_gemm.py cutlass_block_scaled_fp8_mm coop_128x128_c2/s1 4096 8192 8192

The first call is checked against the float64 reference, as the benchmark does before timing.
"""

from __future__ import annotations

import argparse
import sys

import torch

from gn_kernels import heuristics
from gn_kernels.bench.cases import config_case
from gn_kernels.bench.runner import check_rows
from gn_kernels.testing import check_gemm


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kernel", help="cutlass_row_scaled_fp8_mm, its [fast_accum] form, "
                                       "cutlass_row_scaled_int8_mm or cutlass_block_scaled_fp8_mm")
    parser.add_argument("entry", help="a table entry: configuration, optionally /s<tile-walk width>")
    parser.add_argument("shape", type=int, nargs=3, metavar="M N K")
    parser.add_argument("--calls", type=int, default=3)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("profile_sm90a_gemm.py needs a CUDA GPU", file=sys.stderr)
        return 2
    config, width = heuristics.split(args.entry)
    case = config_case(args.kernel, config, width)
    M, N, K = args.shape
    inputs = case.make(M, N, K, torch.device("cuda"))
    check = check_gemm(inputs.run(), inputs.A, inputs.B, case.accumulation, rows=check_rows(M, inputs.A.device))
    if not check.ok:
        print(f"{case.name} at {M}x{N}x{K}: check failed: {check}", file=sys.stderr)
        return 1
    for _ in range(args.calls):
        inputs.run()
    torch.cuda.synchronize()
    return 0


if __name__ == "__main__":
    sys.exit(main())
