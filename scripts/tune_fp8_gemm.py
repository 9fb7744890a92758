"""Sweep every SM90a FP8 GEMM tile configuration over shapes, beside cuBLAS in the same run,
to fill the shape table of gn_kernels/heuristics/sm90a_fp8.py.

    python scripts/tune_fp8_gemm.py [--shapes llama3-8b,llama3-70b] [--json out.json]

Each configuration's output is checked against the float64 reference before it is timed.
Printed: per M and accumulation mode, each configuration's geometric-mean speed relative to
cuBLAS row-wise over the (N, K) pairs, and per shape the best configuration. With --swizzles
1,4 every configuration is timed at each tile-walk width, named <config>/s<width>.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from pathlib import Path

import torch
from tabulate import tabulate

from gn_kernels.bench.cases import CASES, row_scaled_config_case
from gn_kernels.bench.report import write_pair
from gn_kernels.bench.runner import environment, measure
from gn_kernels.bench.shapes import parse_shapes
from gn_kernels.dispatch import kernel_module
from gn_kernels.heuristics import sm90a_fp8

SWAP_MAX_M = 256  # swapped configurations put M on a narrow tile side: no use beyond this


def _configs(fast: bool) -> list[str]:
    """The configurations built for E4M3 x E4M3 into bfloat16 with this accumulation."""
    prefix = f"bf16_{'fast' if fast else 'promoted'}_e4m3_e4m3_"
    built = kernel_module("cutlass_row_scaled_fp8_mm", torch.device("cuda")).fp8_gemm_instances()
    return [name[len(prefix):] for name in built if name.startswith(prefix)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="llama3-8b,llama3-70b")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--swizzles", default=str(sm90a_fp8.MAX_SWIZZLE),
                        help="comma-separated max_swizzle values to time each configuration at (1, 2, 4, 8)")
    args = parser.parse_args(argv)
    swizzles = [int(s) for s in args.swizzles.split(",")]
    if not torch.cuda.is_available():
        print("tune_fp8_gemm.py needs a CUDA GPU", file=sys.stderr)
        return 2
    device = torch.device("cuda")
    rows, ratios, best = [], defaultdict(list), []
    for M, N, K in parse_shapes(args.shapes):
        for fast in (False, True):
            peer = CASES["cublas_fp8_rowwise_fast_accum" if fast else "cublas_fp8_rowwise"]
            base = measure(peer, M, N, K, device)
            rows.append(base.as_row())
            timed = {}
            for config in _configs(fast):
                if config.startswith("swap") and M > SWAP_MAX_M:
                    continue
                for swizzle in swizzles:
                    name = config if len(swizzles) == 1 else f"{config}/s{swizzle}"
                    r = measure(row_scaled_config_case(config, fast, swizzle), M, N, K, device)
                    rows.append({**r.as_row(), "max_swizzle": swizzle, "note": r.note})
                    if r.us is not None and base.us is not None:
                        timed[name] = base.us / r.us
                        ratios[M, fast, name].append(math.log(timed[name]))
                    torch.cuda.empty_cache()
            if timed:
                top = max(timed, key=timed.get)
                pick = sm90a_fp8.pick(M, N, K, "bf16", "e4m3", "e4m3", fast)
                pick = pick if len(swizzles) == 1 else f"{pick}/s{sm90a_fp8.MAX_SWIZZLE}"
                best.append([M, N, K, "fast" if fast else "promoted", f"{base.tflops:.0f}", top, f"{timed[top]:.3f}",
                             pick, f"{timed.get(pick, float('nan')):.3f}"])
                print(*best[-1], flush=True)  # progress, should the run be cut short
    Ms = sorted({m for m, _, _ in ratios})
    tables = []
    for fast in (False, True):
        names = sorted({c for _, f, c in ratios if f == fast})
        table = [[c] + [f"{math.exp(sum(v) / len(v)):.3f}" if (v := ratios.get((m, fast, c))) else "" for m in Ms]
                 for c in names]
        tables.append(f"{'fast' if fast else 'promoted'} accumulation: geometric mean × cuBLAS row-wise over (N, K), by M\n"
                      + tabulate(table, headers=["config", *Ms], tablefmt="github"))
    tables.append("best per shape\n" + tabulate(best, headers=["M", "N", "K", "acc", "cuBLAS TFLOPS", "best", "×cuBLAS",
                                                               "table's pick", "×cuBLAS"], tablefmt="github"))
    env = environment(device)
    text = f"{env['gpu']}; torch {env['torch']}, CUDA {env['cuda']}; {env['date']}\n\n" + "\n\n".join(tables)
    print(text)
    if args.json:
        write_pair(args.json, env, rows, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
