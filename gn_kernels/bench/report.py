"""Tables, JSON and plots of benchmark results.

The summary tables keep the shape of the seed README's (one row per kernel,
one column per shape, the theoretical peak last) and add, under each of our
kernels, its ratio to the cuBLAS peer measured in the same run.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

from tabulate import tabulate

from .cases import CASES
from .peaks import peak_tflops
from .runner import Result


SQUARES = "squares (M = N = K)"


def _groups(results: list[Result]) -> dict[str, list[tuple[str, Result]]]:
    """Tables of (column label, result): squares by size, other shapes by M within their (N, K).

    A square also joins its (N, K) table when that table has other shapes, so a
    sweep over M keeps its M = N = K point.
    """
    by_nk: dict[str, list[tuple[str, Result]]] = defaultdict(list)
    squares: list[tuple[str, Result]] = []
    for r in results:
        by_nk[f"N={r.N}, K={r.K}"].append((f"M={r.M}", r))
        if r.M == r.N == r.K:
            squares.append((str(r.M), r))
    groups = {SQUARES: squares} if squares else {}
    for title, members in by_nk.items():
        if any(r.M != r.N or r.N != r.K for _, r in members):
            groups[title] = members
    return groups


def _index(results: list[Result]) -> dict[tuple[str, int, int, int], Result]:
    return {(r.kernel, r.M, r.N, r.K): r for r in results}


def peer_ratio(r: Result, index: dict) -> float | None:
    peer = CASES[r.kernel].peer if r.kernel in CASES else None
    if peer is None or r.tflops is None:
        return None
    p = index.get((peer, r.M, r.N, r.K))
    return None if p is None or p.tflops is None else r.tflops / p.tflops


def summary_tables(results: list[Result], gpu: str) -> str:
    index = _index(results)
    out = []
    for title, members in _groups(results).items():
        columns = list(dict.fromkeys(label for label, _ in members))
        kernels = list(dict.fromkeys(r.kernel for _, r in sorted(members, key=lambda m: not m[1].peer)))
        rows = []
        for k in kernels:
            cells = {label: r for label, r in members if r.kernel == k}
            peak = peak_tflops(gpu, CASES[k].fmt) if k in CASES else None
            rows.append([k] + [_fmt(cells.get(c) and cells[c].tflops) for c in columns] + [_fmt(peak)])
            if k in CASES and not CASES[k].is_peer:
                ratios = [cells.get(c) and peer_ratio(cells[c], index) for c in columns]
                rows.append([f"  × {CASES[k].peer}"] + [_ratio(x) for x in ratios] + [""])
        out.append(f"**{title}**, TFLOPS\n\n" + tabulate(rows, headers=["kernel", *columns, "theoretical"],
                                                          tablefmt="github", disable_numparse=True))
    return "\n\n".join(out)


def long_table(results: list[Result], gpu: str) -> str:
    index = _index(results)
    rows = []
    for r in results:
        peak = peak_tflops(gpu, CASES[r.kernel].fmt) if r.kernel in CASES else None
        pct = None if peak is None or r.tflops is None else 100 * r.tflops / peak
        rows.append([r.kernel, r.M, r.N, r.K, _fmt(r.us), _fmt(r.tflops), _fmt(pct, "{:.1f}"),
                     _ratio(peer_ratio(r, index)), r.note])
    return tabulate(rows, headers=["kernel", "M", "N", "K", "µs", "TFLOPS", "% peak", "× peer", "note"],
                    tablefmt="github", disable_numparse=True)


def geomean_ratios(results: list[Result]) -> dict[str, float]:
    """Geometric mean of each of our kernels' ratio to its peer, over shapes where both ran."""
    index = _index(results)
    logs: dict[str, list[float]] = defaultdict(list)
    for r in results:
        x = peer_ratio(r, index)
        if x is not None:
            logs[r.kernel].append(math.log(x))
    return {k: math.exp(sum(v) / len(v)) for k, v in logs.items()}


def markdown(results: list[Result], env: dict) -> str:
    head = (f"GPU: {env['gpu']}; torch {env['torch']}, CUDA {env['cuda']}, triton {env['triton']}; {env['date']}. "
            "GPU time from CUDA-graph replay, L2 flushed before each call, median; every output checked against the float64 reference first.")
    means = geomean_ratios(results)
    mean_lines = "\n".join(f"- {k}: {v:.3f}× its peer (geometric mean)" for k, v in means.items())
    return "\n\n".join([head, mean_lines, summary_tables(results, env["gpu"]), "All rows:",
                        long_table(results, env["gpu"])]) + "\n"


def write(results: list[Result], env: dict, json_path: Path) -> Path:
    """``json_path`` in the committed shape, and the printed tables as .md beside it."""
    return write_pair(json_path, env, [r.as_row() for r in results if r.us is not None], markdown(results, env))


def write_pair(json_path: Path, env: dict, rows: list[dict], text: str) -> Path:
    """The environment and rows as JSON at ``json_path``, ``text`` as .md beside it."""
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps({**env, "rows": rows}, indent=1) + "\n")
    md_path = json_path.with_suffix(".md")
    md_path.write_text(text.rstrip("\n") + "\n")
    return md_path


def plot(results: list[Result], env: dict, path: Path) -> None:
    """TFLOPS against M per kernel and peer, one panel per (N, K); squares against their size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {title: [r for _, r in members if r.tflops is not None]
              for title, members in _groups(results).items()}
    groups = {title: rs for title, rs in groups.items() if rs}
    if not groups:
        return
    # One colour per kernel across every panel, in CASES order.
    colours = {name: f"C{i % 10}" for i, name in enumerate(CASES)}
    cols = min(3, len(groups))
    nrows = math.ceil(len(groups) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(6 * cols, 4 * nrows), squeeze=False)
    for ax, (title, rs) in zip(axes.flat, groups.items()):
        for kernel in dict.fromkeys(r.kernel for r in rs):
            pts = sorted((r.M, r.tflops) for r in rs if r.kernel == kernel)
            style = "--" if CASES.get(kernel) is not None and CASES[kernel].is_peer else "-"
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", label=kernel,
                    color=colours.get(kernel))
        ax.set_xscale("log", base=2)
        ax.set_title(title)
        ax.set_xlabel("M")
        ax.set_ylabel("TFLOPS")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    fig.suptitle(f"{env['gpu']} — torch {env['torch']}, {env['date']} (dashed: cuBLAS peers)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _fmt(x, pattern: str = "{:.2f}") -> str:
    return "" if x is None else pattern.format(x)


def _ratio(x) -> str:
    return "" if x is None else f"{x:.2f}×"
