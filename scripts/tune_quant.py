"""Sweep the launch tables of the fused quantizers (gn_kernels/quant/triton_kernels.py) on the GPU.

    python scripts/tune_quant.py [--size 8192] [--json out.json]

Each candidate is checked bit for bit against the reference before it is timed; the table
printed per launch parameter is what the constants in triton_kernels.py cite.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import torch
from tabulate import tabulate

from gn_kernels import quant as Q
from gn_kernels.bench.report import write_pair
from gn_kernels.bench.runner import environment, time_us
from gn_kernels.quant import triton_kernels as T

E4M3 = torch.float8_e4m3fn


def _bits(outs):
    return [o.view(torch.uint8) if o.element_size() == 1 else o for o in outs]


def _candidates():
    """(table name, (container, key), candidate values, {quantizer name: fn(x, impl)})."""
    ts = torch.tensor(0.01, device="cuda")
    fp4_tiles = [(4, 512), (16, 512), (4, 1024), (8, 1024)]
    return [
        ("ROWWISE_PROGRAM", (vars(T), "ROWWISE_PROGRAM"), list(itertools.product([8192, 16384], [4, 8, 16])), {
            "fp8_rowwise": lambda x, impl: Q.quantize_fp8_rowwise(x, impl=impl),
            "int8_rowwise": lambda x, impl: Q.quantize_int8_rowwise(x, impl=impl)}),
        ("GROUP_TILES[32, True]", (T.GROUP_TILES, (32, True)), [t + (w,) for t in fp4_tiles for w in (4, 8)], {
            "mxfp4": lambda x, impl: Q.quantize_mx(x, Q.FP4_DTYPE, "nv", impl=impl)}),
        ("GROUP_TILES[16, True]", (T.GROUP_TILES, (16, True)), [t + (w,) for t in fp4_tiles for w in (4, 8)], {
            "nvfp4": lambda x, impl: Q.quantize_nvfp4(x, ts, impl=impl)}),
        ("GROUP_TILES[32, False]", (T.GROUP_TILES, (32, False)), [(8, 1024, 8), (4, 1024, 4), (8, 512, 4)], {
            "mxfp8": lambda x, impl: Q.quantize_mx(x, E4M3, "nv", impl=impl)}),
        ("GROUP_TILES[128, False]", (T.GROUP_TILES, (128, False)), [(4, 1024, 4), (8, 1024, 8)], {
            "fp8_groupwise": lambda x, impl: Q.quantize_fp8_groupwise(x, impl=impl)}),
        ("TENSORWISE", (vars(T), "TENSORWISE"), [(p, 4096, 8, w) for p in (2, 4, 8) for w in (4, 8)], {
            "fp8_tensorwise": lambda x, impl: Q.quantize_fp8_tensorwise(x, impl=impl)}),
        ("BLOCK2D_WARPS", (vars(T), "BLOCK2D_WARPS"), [8, 16, 32], {
            "fp8_blockwise": lambda x, impl: Q.quantize_fp8_blockwise(x, impl=impl)}),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=8192)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("tune_quant.py needs a CUDA GPU", file=sys.stderr)
        return 2
    x = torch.randn(args.size, args.size, device="cuda", dtype=torch.bfloat16)
    results, text = [], []
    for table, (container, key), values, fns in _candidates():
        current = container[key]
        wants = {name: _bits(fn(x, "reference")) for name, fn in fns.items()}
        best = {}  # (value, name) -> µs, the least over interleaved rounds, as clocks drift within a run
        for _ in range(args.rounds):
            for value, (name, fn) in itertools.product(values, fns.items()):
                container[key] = value
                if not all(torch.equal(g, w) for g, w in zip(_bits(fn(x, "triton")), wants[name])):
                    best[value, name] = float("nan")
                    continue
                best[value, name] = min(best.get((value, name), float("inf")), time_us(lambda: fn(x, "triton")))
        container[key] = current
        rows = []
        for value in values:
            cells = [f"{best[value, name]:.1f}" if best[value, name] == best[value, name] else "differs" for name in fns]
            rows.append([str(value), *cells, "(current)" if value == current else ""])
        results += [{"table": table, "value": v, "quantizer": n, "us": us} for (v, n), us in best.items()]
        text.append(f"{table} (µs)\n" + tabulate(rows, headers=["value", *fns, ""], tablefmt="github"))
    env = environment(torch.device("cuda"))
    out = f"{env['gpu']}; torch {env['torch']}, triton {env['triton']}; {env['date']}; " \
          f"{args.size}x{args.size} bfloat16; least of {args.rounds} interleaved medians, µs\n\n" + "\n\n".join(text)
    print(out)
    if args.json:
        write_pair(args.json, env, results, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
