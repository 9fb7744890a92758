"""Bandwidth of the fused quantizers beside a device-to-device copy measured in the same run.

    python benchmark_quant.py [--size 8192] [--cols 14336] [--json benchmarks/results/h100_sxm_quant.json]

Each quantizer's output is first compared bit for bit with its pure-torch reference.
Bytes counted: the input read once plus the codes and scales written once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from tabulate import tabulate

from gn_kernels import quant as Q
from gn_kernels.bench.report import write_pair
from gn_kernels.bench.runner import copy_gbs, environment, time_us

E4M3 = torch.float8_e4m3fn


def _after_transposing_copy(quantizer):
    """What a transposed quantizer replaces: torch's transposing copy, then ``quantizer``."""
    return lambda x, impl: quantizer(x.t().contiguous(), impl=impl)


def quantizers(fp8_scale: torch.Tensor, nvfp4_scale: torch.Tensor) -> dict:
    """name -> fn(x, impl). "given" rows take their tensor scale chosen ahead, as activations do
    under delayed or static scaling: one pass instead of a global max and then the codes."""
    return {
    "quantize_fp8_tensorwise": lambda x, impl: Q.quantize_fp8_tensorwise(x, impl=impl),
    "quantize_fp8_tensorwise[given scale]": lambda x, impl: Q.quantize_fp8_tensorwise(x, scale=fp8_scale, impl=impl),
    "quantize_fp8_rowwise": lambda x, impl: Q.quantize_fp8_rowwise(x, impl=impl),
    "quantize_fp8_groupwise": lambda x, impl: Q.quantize_fp8_groupwise(x, impl=impl),
    "quantize_fp8_blockwise": lambda x, impl: Q.quantize_fp8_blockwise(x, impl=impl),
    "quantize_int8_rowwise": lambda x, impl: Q.quantize_int8_rowwise(x, impl=impl),
    "quantize_fp8_rowwise_transposed": lambda x, impl: Q.quantize_fp8_rowwise_transposed(x, impl=impl),
    "quantize_int8_rowwise_transposed": lambda x, impl: Q.quantize_int8_rowwise_transposed(x, impl=impl),
    "quantize_fp8_rowwise(x.t().contiguous())": _after_transposing_copy(Q.quantize_fp8_rowwise),
    "quantize_fp8_groupwise_transposed": lambda x, impl: Q.quantize_fp8_groupwise_transposed(x, impl=impl),
    "quantize_fp8_groupwise(x.t().contiguous())": _after_transposing_copy(Q.quantize_fp8_groupwise),
    "quantize_fp8_blockwise_transposed": lambda x, impl: Q.quantize_fp8_blockwise_transposed(x, impl=impl),
    "quantize_fp8_blockwise(x.t().contiguous())": _after_transposing_copy(Q.quantize_fp8_blockwise),
    "quantize_fp8_rowwise_both_ways": lambda x, impl: Q.quantize_fp8_rowwise_both_ways(x, impl=impl),
    # What it replaces: the row-wise quantizer, then the transposed one.
    "quantize_fp8_rowwise + _transposed": lambda x, impl: (*Q.quantize_fp8_rowwise(x, impl=impl),
                                                           *Q.quantize_fp8_rowwise_transposed(x, impl=impl)),
    "quantize_mx[mxfp8]": lambda x, impl: Q.quantize_mx(x, E4M3, "nv", impl=impl),
    "quantize_mx[mxfp4]": lambda x, impl: Q.quantize_mx(x, Q.FP4_DTYPE, "nv", impl=impl),
    "quantize_nvfp4[given tensor scale]": lambda x, impl: Q.quantize_nvfp4(x, nvfp4_scale, impl=impl)[:2],
    }


def _bytes(*tensors: torch.Tensor) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _bits(x: torch.Tensor) -> torch.Tensor:
    return x.view(torch.uint8) if x.element_size() == 1 else x


def _same_bits(a, b) -> bool:
    return all(torch.equal(_bits(x), _bits(y)) for x, y in zip(a, b))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=8192, help="rows of the input (and columns, unless --cols)")
    parser.add_argument("--cols", type=int, default=None)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("benchmark_quant.py needs a CUDA GPU", file=sys.stderr)
        return 2
    env = environment(torch.device("cuda"))
    cols = args.cols or args.size
    x = torch.randn(args.size, cols, device="cuda", dtype=torch.bfloat16)
    copy = copy_gbs(_bytes(x))
    copy_us = 2 * _bytes(x) / copy / 1e3
    rows = [["device-to-device copy (peer)", f"{copy_us:.1f}", f"{copy:.0f}", "100.0", ""]]
    out_rows = [{"kernel": "copy", "peer": True, "M": args.size, "N": cols, "K": 0, "us": copy_us, "gbs": copy}]
    failed = False
    for name, fn in quantizers(Q.quantize_fp8_tensorwise(x)[1], Q.quantize_nvfp4(x)[2]).items():
        got = fn(x, "triton")
        if not _same_bits(got, fn(x, "reference")):
            rows.append([name, "", "", "", "differs from reference: not timed"])
            failed = True
            continue
        us = time_us(lambda: fn(x, "triton"))
        gbs = (_bytes(x) + _bytes(*got)) / us / 1e3
        rows.append([name, f"{us:.1f}", f"{gbs:.0f}", f"{100 * gbs / copy:.1f}", "bit-exact"])
        out_rows.append({"kernel": name, "peer": False, "M": args.size, "N": cols, "K": 0, "us": us, "gbs": gbs})
    table = tabulate(rows, headers=["kernel", "µs", "GB/s", "% of copy", "check"], tablefmt="github")
    head = (f"{env['gpu']}; torch {env['torch']}, CUDA {env['cuda']}, triton {env['triton']}; {env['date']}. "
            f"{args.size}x{cols} bfloat16 input; GPU time (CUDA-graph replay, L2 flushed), median; "
            "bytes = input read + codes and scales written (the row-wise transposed and both-ways ones "
            "read the input twice, since a column's max needs every row: counted once).")
    print(head + "\n\n" + table)
    if args.json:
        write_pair(args.json, env, out_rows, head + "\n\n" + table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
