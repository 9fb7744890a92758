"""Realistic speed of light: the best TFLOPS cuBLAS (through torch) reaches over large shapes, per format.

    python benchmark_sol.py [--json benchmarks/results/h100_sol.json]

Formats: BF16, INT8, FP8 (row-wise scaled, fast accumulation, cuBLAS's fastest
FP8 path). MXFP8 and NVFP4 join once the block-scale packing exists.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from tabulate import tabulate

from gn_kernels.bench.cases import CASES
from gn_kernels.bench.peaks import peak_tflops
from gn_kernels.bench.report import write_pair
from gn_kernels.bench.runner import environment, measure

SOL_CASES = {"BF16": "cublas_bf16", "INT8": "cublas_int8", "FP8": "cublas_fp8_rowwise_fast_accum"}
SIZES = [4096, 6144, 8192, 12288, 16384]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("benchmark_sol.py needs a CUDA GPU", file=sys.stderr)
        return 2
    device = torch.device("cuda")
    env = environment(device)
    best = {}
    for label, name in SOL_CASES.items():
        timed = [r for s in SIZES if (r := measure(CASES[name], s, s, s, device)).tflops is not None]
        torch.cuda.empty_cache()
        if timed:
            best[label] = max(timed, key=lambda r: r.tflops)
    rows = [[label, name, f"{r.M}³", f"{r.tflops:.1f}", _pct(r.tflops, peak_tflops(env["gpu"], CASES[name].fmt))]
            for label, name in SOL_CASES.items() if (r := best.get(label))]
    text = (f"{env['gpu']}; torch {env['torch']}, CUDA {env['cuda']}; {env['date']}\n\n"
            + tabulate(rows, headers=["format", "cuBLAS case", "best at", "TFLOPS", "% theoretical"], tablefmt="github"))
    print(text)
    if args.json:
        write_pair(args.json, env, [best[k].as_row() for k in best], text)
    return 0


def _pct(x: float, peak: float | None) -> str:
    return "" if peak is None else f"{100 * x / peak:.1f}"


if __name__ == "__main__":
    sys.exit(main())
