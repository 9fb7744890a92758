"""Train a small GPT-style model on generated text, in bfloat16 and in each gn_kernels.nn recipe,
from the same initial weights and the same batches, over a few seeds; print the loss table and save the curves.

    python examples/train.py --steps 300 --png loss.png --json benchmarks/results/h100_sxm_train.json

The text is generated: lines of additions ("417+2958=3375"), whose digits the model can learn to
predict only by learning to add. Every linear layer of the transformer blocks is converted
(convert_linears); the embedding and the output head stay in bfloat16.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from tabulate import tabulate
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gn_kernels.bench.report import environment_line, write_pair  # noqa: E402
from gn_kernels.bench.runner import environment  # noqa: E402
from gn_kernels.nn import RECIPES, convert_linears  # noqa: E402

VOCAB = 128  # bytes of ASCII text


def make_text(n_lines: int, seed: int) -> bytes:
    g = torch.Generator().manual_seed(seed)
    a = torch.randint(0, 10000, (n_lines,), generator=g)
    b = torch.randint(0, 10000, (n_lines,), generator=g)
    return "".join(f"{x}+{y}={x + y}\n" for x, y in zip(a.tolist(), b.tolist())).encode()


class Block(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.up, self.down = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, T, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(attn)
        return x + self.down(F.gelu(self.up(self.norm2(x))))


class GPT(nn.Module):
    def __init__(self, dim=512, heads=8, layers=4, context=256):
        super().__init__()
        self.embed, self.position = nn.Embedding(VOCAB, dim), nn.Parameter(torch.zeros(context, dim))
        self.blocks = nn.Sequential(*(Block(dim, heads) for _ in range(layers)))
        self.norm, self.head = nn.LayerNorm(dim), nn.Linear(dim, VOCAB)

    def forward(self, tokens):
        x = self.embed(tokens) + self.position[: tokens.shape[1]]
        return self.head(self.norm(self.blocks(x)))


def train(model: nn.Module, data: torch.Tensor, steps: int, batch: int, context: int, seed: int) -> list[float]:
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=steps, pct_start=0.1)
    g = torch.Generator(device=data.device).manual_seed(seed)
    losses = []
    for _ in range(steps):
        start = torch.randint(0, data.numel() - context - 1, (batch,), device=data.device, generator=g)
        idx = start[:, None] + torch.arange(context + 1, device=data.device)
        chunk = data[idx]
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(chunk[:, :-1])
        loss = F.cross_entropy(logits.float().reshape(-1, VOCAB), chunk[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return losses


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--context", type=int, default=256)
    parser.add_argument("--seeds", type=int, default=3,
                        help="runs per recipe; one run's final loss moves by a few percent from seed to seed, and "
                             "between repeats (non-deterministic atomics in the backward)")
    parser.add_argument("--png", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    data = torch.tensor(list(make_text(200_000, seed=0)), dtype=torch.long, device="cuda")
    runs = {r: [] for r in ["bf16", *RECIPES]}
    for seed in range(args.seeds):
        torch.manual_seed(seed)
        base = GPT(context=args.context).cuda()
        for recipe, curves in runs.items():
            model = copy.deepcopy(base)
            if recipe != "bf16":
                convert_linears(model.blocks, recipe)
            curves.append(train(model, data, args.steps, args.batch, args.context, seed=seed + 1))
            print(f"{recipe}, seed {seed}: last loss {curves[-1][-1]:.4f}", flush=True)
    # Per run, the mean of its last 10 steps (less noise); per recipe, the mean over seeds and their spread.
    last = {r: [sum(c[-10:]) / 10 for c in curves] for r, curves in runs.items()}
    mean = {r: sum(v) / len(v) for r, v in last.items()}
    rows = [{"recipe": r, "first_loss": sum(c[0] for c in runs[r]) / len(runs[r]), "last10_loss": mean[r],
             "last10_min": min(last[r]), "last10_max": max(last[r]), "vs_bf16": mean[r] / mean["bf16"] - 1}
            for r in runs]
    mean_curves = {r: [sum(step) / len(step) for step in zip(*curves)] for r, curves in runs.items()}
    env = environment(torch.device("cuda"))
    text = (environment_line(env) + " "
            + f"examples/train.py: 4-layer GPT, width 512, {args.steps} steps of {args.batch}x{args.context} tokens of "
            "generated additions; bfloat16 autocast; the blocks' linear layers converted per recipe; "
            f"{args.seeds} seeds (initial weights and batch order), the same for every recipe.\n\n"
            + tabulate([[r["recipe"], f"{r['first_loss']:.4f}", f"{r['last10_loss']:.4f}",
                         f"{r['last10_min']:.4f} – {r['last10_max']:.4f}", f"{100 * r['vs_bf16']:+.2f}%"]
                        for r in rows], headers=["recipe", "first loss", "mean of last 10 steps, over seeds",
                                                 "range over seeds", "vs bf16"], tablefmt="github"))
    print(text)
    if args.json:
        write_pair(args.json, env, [*rows, {"curves": runs}], text)
    if args.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4))
        for r, c in mean_curves.items():
            ax.plot(c, label=r, linewidth=1)
        ax.set(xlabel="step", ylabel="training loss, mean over seeds", yscale="log", title="GPT on generated additions")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.png, dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
