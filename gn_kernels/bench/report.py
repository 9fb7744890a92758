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


def _ratio_to(r: Result, other: str, index: dict) -> float | None:
    o = index.get((other, r.M, r.N, r.K))
    return None if r.tflops is None or o is None or o.tflops is None else r.tflops / o.tflops


def peer_ratio(r: Result, index: dict) -> float | None:
    peer = CASES[r.kernel].peer if r.kernel in CASES else None
    return None if peer is None else _ratio_to(r, peer, index)


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


# M ranges the means are taken over: decode, middle, and large (prefill and training) sizes.
M_BUCKETS = {"M ≤ 16": (1, 16), "17 ≤ M < 512": (17, 511), "M ≥ 512": (512, None)}
# Our kernels also compared with another of ours: block scaling should cost little beside row scaling.
OWN_PAIRS = [("cutlass_block_scaled_fp8_mm", "cutlass_row_scaled_fp8_mm")]


def _geomean(xs: list[float]) -> float | None:
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def geomean_table(results: list[Result]) -> str:
    """Geometric means of each of our kernels' speed ratio to its peer (and OWN_PAIRS), over the
    non-square shapes where both ran, by M range, and over all shapes."""
    index = _index(results)
    pairs = [(k, c.peer) for k, c in CASES.items() if not c.is_peer] + OWN_PAIRS
    rows = []
    for kernel, other in pairs:
        mine = [r for r in results if r.kernel == kernel]
        if not mine:
            continue
        cells = []
        for lo, hi in M_BUCKETS.values():
            xs = [x for r in mine if not r.M == r.N == r.K and lo <= r.M and (hi is None or r.M <= hi)
                  if (x := _ratio_to(r, other, index)) is not None]
            cells.append(_fmt(_geomean(xs), "{:.3f}×"))
        everything = [x for r in mine if (x := _ratio_to(r, other, index)) is not None]
        rows.append([kernel, other, *cells, _fmt(_geomean(everything), "{:.3f}×")])
    return ("Geometric means of the speed ratio, over the non-square shapes by M, and over every shape\n\n"
            + tabulate(rows, headers=["kernel", "× of", *M_BUCKETS, "all shapes"], tablefmt="github",
                       disable_numparse=True))


def decode_bandwidth_table(results: list[Result], copy: float) -> str:
    """For M ≤ 16 on the largest weight (N × K) swept: bytes moved (both operands read once, the
    output written once) per second, against a device-to-device copy measured in the same run."""
    decode = [r for r in results if r.M <= 16 and r.us is not None and not r.M == r.N == r.K]
    if not decode:
        return ""
    N, K = max({(r.N, r.K) for r in decode}, key=lambda nk: nk[0] * nk[1])
    rows = []
    for r in sorted((r for r in decode if (r.N, r.K) == (N, K)), key=lambda r: (r.M, r.kernel)):
        case = CASES[r.kernel]
        gbs = ((r.M + r.N) * r.K * case.operand_bytes + r.M * r.N * case.out_bytes) / r.us / 1e3
        rows.append([r.kernel, r.M, f"{r.us:.1f}", f"{gbs:.0f}", f"{100 * gbs / copy:.1f}"])
    return (f"Decode bandwidth on the largest weight, N={N}, K={K}; device-to-device copy in the same run: "
            f"{copy:.0f} GB/s\n\n" + tabulate(rows, headers=["kernel", "M", "µs", "GB/s", "% of copy"],
                                              tablefmt="github", disable_numparse=True))


def environment_line(env: dict) -> str:
    """What a results file names first: the GPU, the versions that ran, the date."""
    return f"GPU: {env['gpu']}; torch {env['torch']}, CUDA {env['cuda']}, triton {env['triton']}; {env['date']}."


def markdown(results: list[Result], env: dict, copy: float | None = None) -> str:
    head = (environment_line(env) + " "
            + "GPU time from CUDA-graph replay, L2 flushed before each call, median; every output checked against the float64 reference first.")
    parts = [head, geomean_table(results)]
    if copy is not None:
        parts.append(decode_bandwidth_table(results, copy))
    return "\n\n".join([*filter(None, parts), summary_tables(results, env["gpu"]), "All rows:",
                        long_table(results, env["gpu"])]) + "\n"


def write(results: list[Result], env: dict, json_path: Path, copy: float | None = None) -> Path:
    """``json_path`` in the committed shape, and the printed tables as .md beside it."""
    env = env if copy is None else {**env, "copy_gbs": copy}
    return write_pair(json_path, env, [r.as_row() for r in results if r.us is not None], markdown(results, env, copy))


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
