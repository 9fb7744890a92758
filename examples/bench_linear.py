"""Forward and forward+backward time of a Llama-3-8B MLP (4096 -> 14336 -> 4096, SwiGLU) at 8192
tokens, per gn_kernels.nn recipe, against the same MLP in bfloat16 nn.Linear, in one run.

    python examples/bench_linear.py --json benchmarks/results/h100_sxm_linear.json

Before timing, each recipe's output is compared with the bfloat16 MLP's (a sanity check of the
plumbing: relative Frobenius difference under 10%, where FP8's 2**-4 rounding of every operand
gives a few percent). Times: triton.testing.do_bench (L2 flushed, median of many runs).
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
import triton
from tabulate import tabulate
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gn_kernels.bench.report import environment_line, write_pair  # noqa: E402
from gn_kernels.bench.runner import environment  # noqa: E402
from gn_kernels.nn import RECIPES, convert_linears  # noqa: E402


class SwiGLU(nn.Module):
    def __init__(self, dim: int, hidden: int, dtype=torch.bfloat16, device="cuda"):
        super().__init__()
        self.gate = nn.Linear(dim, hidden, bias=False, dtype=dtype, device=device)
        self.up = nn.Linear(dim, hidden, bias=False, dtype=dtype, device=device)
        self.down = nn.Linear(hidden, dim, bias=False, dtype=dtype, device=device)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=8192)
    parser.add_argument("--dim", type=int, default=4096)
    parser.add_argument("--hidden", type=int, default=14336)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    base = SwiGLU(args.dim, args.hidden)
    for p in base.parameters():  # nn.Linear's default init at these sizes, scaled to keep activations O(1)
        nn.init.normal_(p, std=p.shape[1] ** -0.5)
    x = torch.randn(args.tokens, args.dim, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    dy = torch.randn(args.tokens, args.dim, device="cuda", dtype=torch.bfloat16)
    with torch.no_grad():
        expected = base(x)
    rows = []
    for recipe in ["bf16", *RECIPES]:
        model = copy.deepcopy(base)
        if recipe != "bf16":
            convert_linears(model, recipe)
        with torch.no_grad():
            got = model(x)
        difference = float((got.float() - expected.float()).norm() / expected.float().norm())
        if difference > 0.1:
            print(f"{recipe}: output differs from bfloat16 by {difference:.3f}, not timed", file=sys.stderr)
            rows.append({"recipe": recipe, "difference": difference})
            continue
        params = [x, *model.parameters()]

        def forward():
            with torch.no_grad():
                model(x)

        def forward_backward():
            model(x).backward(dy)

        fwd = triton.testing.do_bench(forward, warmup=25, rep=200)
        fwd_bwd = triton.testing.do_bench(forward_backward, warmup=25, rep=200, grad_to_none=params)
        row = {"recipe": recipe, "difference": difference, "forward_ms": fwd, "forward_backward_ms": fwd_bwd}
        if recipe != "bf16":  # inference: weights quantized once
            for layer in model.modules():
                if hasattr(layer, "quantize_weights"):
                    layer.quantize_weights()
            row["inference_forward_ms"] = triton.testing.do_bench(forward, warmup=25, rep=200)
        rows.append(row)
    bf16 = rows[0]
    for r in rows:
        if "forward_ms" in r:
            r["forward_speedup"] = bf16["forward_ms"] / r["forward_ms"]
            r["inference_forward_speedup"] = bf16["forward_ms"] / r.get("inference_forward_ms", bf16["forward_ms"])
            r["forward_backward_speedup"] = bf16["forward_backward_ms"] / r["forward_backward_ms"]
    env = environment(torch.device("cuda"))
    table = tabulate([[r["recipe"], f"{r['difference']:.4f}", *(f"{r[k]:.3f}" if k in r else "" for k in (
        "forward_ms", "forward_speedup", "forward_backward_ms", "forward_backward_speedup", "inference_forward_ms",
        "inference_forward_speedup"))] for r in rows],
        headers=["recipe", "rel. difference vs bf16", "forward ms", "× bf16", "fwd+bwd ms", "× bf16",
                 "inference forward ms", "× bf16"],
        tablefmt="github")
    text = (environment_line(env) + " "
            + f"SwiGLU MLP {args.dim} -> {args.hidden} -> {args.dim}, {args.tokens} tokens, bfloat16 activations; "
            "forward and fwd+bwd with training-mode layers (weights quantized at every call); inference forward "
            "with weights quantized once.\n\n" + table)
    print(text)
    if args.json:
        write_pair(args.json, env, rows, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
