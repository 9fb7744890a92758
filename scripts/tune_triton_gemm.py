"""Sweep launch configurations of the Triton GEMMs over shapes, beside their cuBLAS peers in the
same run, to fill the tables of gn_kernels/heuristics/triton_mm.py.

    python scripts/tune_triton_gemm.py --kernels 'triton_scaled_mm[fp8_rowwise]' --json out.json

Each kernel (a Triton case of benchmark_mm.py) is timed at each of its table's candidates
(gn_kernels/heuristics/triton_mm.py), the pointer kernel and the persistent TMA one, every output checked against the float64 reference
first; printed as scripts/tune_sm90a_gemm.py prints (gn_kernels/bench/tuning.py).
"""

from __future__ import annotations

import argparse
import sys
from fnmatch import fnmatchcase
from pathlib import Path

import torch

from gn_kernels.bench.cases import triton_case
from gn_kernels.bench.shapes import parse_shapes
from gn_kernels.bench.tuning import sweep_kernels
from gn_kernels.heuristics import triton_mm

# kernel -> its table in heuristics.triton_mm, whose CANDIDATES are swept
KERNELS = {
    "triton_mm[bf16]": "16bit",
    "triton_mm[fp16_acc16]": "fp16_acc16",
    "triton_scaled_mm[fp8_rowwise]": "fp8",
    "triton_scaled_mm[fp8_rowwise_fast_accum]": "fp8",
    "triton_scaled_mm[int8_rowwise]": "int8",
    "triton_scaled_mm[fp8_1x128_128x128]": "fp8_tilewise",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", default=",".join(KERNELS))
    parser.add_argument("--shapes", default="llama3-8b,llama3-70b")
    parser.add_argument("--m", default="16,256,1024,4096,16384", help="comma-separated M values kept from --shapes")
    parser.add_argument("--configs", default="*",
                        help="comma-separated patterns of configuration names; only matching candidates are timed")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="per kernel: start no shape after this many seconds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    kernels = args.kernels.split(",")
    unknown = [k for k in kernels if k not in KERNELS]
    if unknown:
        parser.error(f"unknown kernels {unknown}; choose among {list(KERNELS)}")
    keep_m = {int(m) for m in args.m.split(",")}
    shapes = [s for s in parse_shapes(args.shapes) if s[0] in keep_m]
    patterns = args.configs.split(",")

    def configs(kernel: str, M: int) -> list:
        return [c for c in triton_mm.candidates(KERNELS[kernel], M) if any(fnmatchcase(c.name, p) for p in patterns)]

    for kernel in kernels:
        if not any(configs(kernel, M) for M, _, _ in shapes):
            names = sorted({c.name for M, _, _ in shapes for c in triton_mm.candidates(KERNELS[kernel], M)})
            parser.error(f"--configs {args.configs!r} matches no candidate of {kernel} at the chosen M; "
                         f"its candidates are {names}")
    if not torch.cuda.is_available():
        print("tune_triton_gemm.py needs a CUDA GPU", file=sys.stderr)
        return 2
    # The table's pick on sm_90, where the Gluon kernel takes the swept operands (TMA-ready, whole groups).
    hopper = torch.cuda.get_device_capability() == (9, 0)

    def candidates(kernel: str, M: int) -> dict:
        return {c.name: triton_case(kernel, c) for c in configs(kernel, M)}

    sweep_kernels(kernels, shapes, candidates, lambda kernel, M, N, K: triton_mm.pick(KERNELS[kernel], M, False, hopper).name,
                  args.budget_s, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
