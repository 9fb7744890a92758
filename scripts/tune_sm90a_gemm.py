"""Sweep the tile configurations of the SM90a GEMMs over shapes, beside their cuBLAS peers in
the same run, to fill the shape tables of gn_kernels/heuristics/.

    python scripts/tune_sm90a_gemm.py --kernels cutlass_block_scaled_fp8_mm --swizzles 1,4 --json out.json
    python scripts/tune_sm90a_gemm.py --kernels cutlass_row_scaled_fp8_mm --max-m 16 --splits 1,2,4,8

Kernels: cutlass_row_scaled_fp8_mm (promoted accumulation), cutlass_row_scaled_fp8_mm[fast_accum],
cutlass_row_scaled_int8_mm and cutlass_block_scaled_fp8_mm, each swept over the configurations
its extension built for bfloat16 output, at each tile-walk width (named <config>/s<width>, as
the tables write them). Every output is checked against the float64 reference before it is
timed. Printed: per kernel and M, each configuration's geometric-mean time relative to the
fastest configuration of each shape (1.000 = fastest everywhere) over the (N, K) pairs, the
best per M beside the table's pick, and the peer's speed relative to that best.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from gn_kernels import heuristics
from gn_kernels.bench.cases import config_case
from gn_kernels.bench.tuning import sweep_kernels
from gn_kernels.bench.shapes import parse_shapes
from gn_kernels.dispatch import kernel_module, multiprocessor_count
from gn_kernels.heuristics import sm90a_block_scaled, sm90a_fp8, sm90a_int8

SWAP_MAX_M = 256  # swapped configurations put M on a narrow tile side: no use beyond this
SPLIT_MAX_M = 16  # the decode configuration's K slices are swept at M up to this


def _fp8_pick(M: int, N: int, K: int, fast_accum: bool) -> str:
    return sm90a_fp8.pick(M, N, K, "bf16", "e4m3", "e4m3", fast_accum, multiprocessor_count(0))


# kernel -> (the extension's instance lister, the prefix of its bfloat16 instances, the table's pick)
FAMILIES = {
    "cutlass_row_scaled_fp8_mm": ("fp8_gemm_instances", "bf16_promoted_e4m3_e4m3_",
                                  lambda M, N, K: _fp8_pick(M, N, K, False)),
    "cutlass_row_scaled_fp8_mm[fast_accum]": ("fp8_gemm_instances", "bf16_fast_e4m3_e4m3_",
                                              lambda M, N, K: _fp8_pick(M, N, K, True)),
    "cutlass_row_scaled_int8_mm": ("int8_gemm_instances", "bf16_", lambda M, N, K: sm90a_int8.pick(M, N, K, "bf16")),
    "cutlass_block_scaled_fp8_mm": ("block_scaled_gemm_instances", "bf16_",
                                    lambda M, N, K: sm90a_block_scaled.pick(M, N, K, "bf16")),
}


def _configs(kernel: str) -> list[str]:
    lister, prefix, _ = FAMILIES[kernel]
    built = getattr(kernel_module(kernel.split("[")[0], torch.device("cuda")), lister)()
    return [name[len(prefix):] for name in built if name.startswith(prefix)]


def _entry(entry: str) -> str:
    config, width = heuristics.split(entry)
    return f"{config}/s{width}"


def _candidates(kernel: str, M: int, swizzles: list[int], splits: list[int], only: set[str] | None) -> dict:
    cases = {f"{config}/s{width}": config_case(kernel, config, width) for config in _configs(kernel)
             if not (config.startswith("swap") and M > SWAP_MAX_M) and (only is None or config in only)
             for width in swizzles}
    if kernel.startswith("cutlass_row_scaled_fp8_mm") and M <= SPLIT_MAX_M:
        cases.update({f"{sm90a_fp8.DECODE_CONFIG}/s{width}/k{k}": config_case(kernel, sm90a_fp8.DECODE_CONFIG, width, k)
                      for k in splits if k > 1 for width in swizzles})
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", default=",".join(FAMILIES))
    parser.add_argument("--shapes", default="llama3-8b,llama3-70b")
    parser.add_argument("--max-m", type=int, default=None, help="leave out shapes with a larger M")
    parser.add_argument("--swizzles", default=str(heuristics.MAX_SWIZZLE),
                        help="comma-separated tile-walk widths to time each configuration at (1, 2, 4, 8)")
    parser.add_argument("--splits", default="1",
                        help="comma-separated K slice counts to also time the FP8 decode configuration at "
                             f"(M <= {SPLIT_MAX_M}; named <config>/s<width>/k<slices>)")
    parser.add_argument("--configs", default=None, help="comma-separated configurations to sweep (default: all built)")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="per kernel: start no shape after this many seconds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("tune_sm90a_gemm.py needs a CUDA GPU", file=sys.stderr)
        return 2
    kernels = args.kernels.split(",")
    unknown = [k for k in kernels if k not in FAMILIES]
    if unknown:
        parser.error(f"unknown kernels {unknown}; choose among {list(FAMILIES)}")
    swizzles = [int(s) for s in args.swizzles.split(",")]
    splits = [int(s) for s in args.splits.split(",")]
    only = set(args.configs.split(",")) if args.configs else None
    shapes = [s for s in parse_shapes(args.shapes) if args.max_m is None or s[0] <= args.max_m]
    sweep_kernels(kernels, shapes, lambda kernel, M: _candidates(kernel, M, swizzles, splits, only),
                  lambda kernel, M, N, K: _entry(FAMILIES[kernel][2](M, N, K)), args.budget_s, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
