"""TFLOPS sweep of gn_kernels' GEMMs beside their cuBLAS peers, measured in the same run.

    python benchmark_mm.py --shapes squares,llama3-8b --json benchmarks/results/h100.json --plot h100.png

Every kernel's output is checked against the float64 reference before it is timed.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
from pathlib import Path

import torch

from gn_kernels.bench import report
from gn_kernels.bench.cases import CASES
from gn_kernels.bench.runner import copy_gbs, environment, sweep
from gn_kernels.bench.shapes import PRESETS, parse_shapes


def select_cases(spec: str):
    """Comma-separated names or globs, e.g. 'cutlass_*,cublas_fp8_rowwise'; 'all' for every case.
    A case's exact name selects that case alone: names such as 'cutlass_row_scaled_fp8_mm[fast_accum]'
    would read as globs with a character class and match nothing."""
    patterns = [p.strip() for p in spec.split(",") if p.strip()]
    chosen = [c for name, c in CASES.items()
              if any(p == "all" or p == name or (p not in CASES and fnmatch.fnmatchcase(name, p)) for p in patterns)]
    if not chosen:
        raise SystemExit(f"--kernels {spec!r} matches none of: {', '.join(CASES)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kernels", default="all", help=f"names or globs among: {', '.join(CASES)}")
    parser.add_argument("--shapes", default="squares", help=f"presets ({', '.join(PRESETS)}) and/or MxNxK, comma-separated")
    parser.add_argument("--json", type=Path, help="write results here (and the tables as .md beside it)")
    parser.add_argument("--plot", type=Path, help="write a PNG of TFLOPS against M")
    args = parser.parse_args(argv)

    if not torch.cuda.is_available():
        print("benchmark_mm.py needs a CUDA GPU", file=sys.stderr)
        return 2
    device = torch.device("cuda")
    cases, shapes = select_cases(args.kernels), parse_shapes(args.shapes)
    env = environment(device)
    results = sweep(cases, shapes, device)
    copy = copy_gbs()
    print(report.markdown(results, env, copy))
    if args.json:
        print(f"wrote {args.json} and {report.write(results, env, args.json, copy)}", file=sys.stderr)
    if args.plot:
        report.plot(results, env, args.plot)
    failed = [r for r in results if r.note.startswith("check failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
