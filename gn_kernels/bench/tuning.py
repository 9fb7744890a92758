"""What the tuning sweeps (scripts/tune_*_gemm.py) share: timing every candidate configuration
of a kernel at one shape beside its peer, and the summary that picks a configuration per M."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable

import torch
from tabulate import tabulate

from .cases import CASES, Case
from .report import write_pair
from .runner import Result, environment, measure


def sweep_shape(kernel: str, candidates: dict[str, Case], M: int, N: int, K: int, device: torch.device,
                rows: list[dict]) -> tuple[dict[str, float], float | None]:
    """Times (µs) of each candidate (configuration name -> its case) at one shape, and of the
    kernel's peer; every measurement is appended to ``rows``."""
    peer = measure(CASES[CASES[kernel].peer], M, N, K, device)
    rows.append({**peer.as_row(), "note": peer.note})
    times = {}
    for config, case in candidates.items():
        try:
            r = measure(case, M, N, K, device)
        except Exception as e:  # a configuration that cannot run this shape loses; the sweep goes on
            r = Result(case.name, False, M, N, K, note=f"failed: {type(e).__name__}: {str(e).splitlines()[0][:200]}")
        rows.append({**r.as_row(), "kernel": kernel, "config": config, "note": r.note})
        if r.us is not None:
            times[config] = r.us
        torch.cuda.empty_cache()
    return times, peer.us


def summarize(kernel: str, per_shape: dict, pick: Callable[[int, int, int], str]) -> str:
    """per_shape: {(M, N, K): (times, peer_us)} -> per M, each configuration's geometric mean over
    the (N, K) pairs of (fastest configuration's time / its time), 1.000 being fastest everywhere;
    the best per M beside the heuristics' picks ``pick(M, N, K)`` (which may differ by shape: their
    score is over each shape's own pick) and the peer's speed against the best."""
    logs, peer_logs = defaultdict(list), defaultdict(list)
    for (M, N, K), (times, peer_us) in per_shape.items():
        if not times:
            continue
        fastest = min(times.values())
        for name, us in times.items():
            logs[M, name].append(math.log(fastest / us))
    Ms = sorted({m for m, _ in logs})
    names = sorted({n for _, n in logs})
    # Only configurations timed at every shape of their M get a mean: a missing shape would flatter them.
    shapes_per_m = {m: max(len(v) for (mm, _), v in logs.items() if mm == m) for m in Ms}
    mean = {(m, n): math.exp(sum(v) / len(v)) for (m, n), v in logs.items() if len(v) == shapes_per_m[m]}
    table = [[n] + [f"{mean[m, n]:.3f}" if (m, n) in mean else "" for m in Ms] for n in names]
    best_rows = []
    for M in Ms:
        best = max((n for n in names if (M, n) in mean), key=lambda n: mean[M, n])
        for (m, N, K), (times, peer_us) in per_shape.items():
            if m == M and peer_us and best in times:
                peer_logs[M].append(math.log(peer_us / times[best]))
        vs_peer = f"{math.exp(sum(peer_logs[M]) / len(peer_logs[M])):.3f}" if peer_logs[M] else "no peer"
        picks = {(N, K): pick(M, N, K) for (m, N, K), (times, _) in per_shape.items() if m == M and times}
        timed = [(min(per_shape[M, N, K][0].values()), per_shape[M, N, K][0].get(c)) for (N, K), c in picks.items()]
        score = (math.exp(sum(math.log(f / us) for f, us in timed) / len(timed))
                 if all(us for _, us in timed) else float("nan"))
        best_rows.append([M, best, f"{mean[M, best]:.3f}", " + ".join(sorted(set(picks.values()))), f"{score:.3f}",
                          vs_peer])
    return (f"## {kernel}\n\ngeometric mean over (N, K) of (fastest configuration's time / this one's), by M\n\n"
            + tabulate(table, headers=["config", *Ms], tablefmt="github") + "\n\nbest per M\n\n"
            + tabulate(best_rows, headers=["M", "best", "score", "table's pick", "score", f"× {CASES[kernel].peer}"],
                       tablefmt="github"))


def sweep_kernels(kernels: list[str], shapes: list[tuple[int, int, int]],
                  candidates: Callable[[str, int], dict[str, Case]], pick: Callable[[str, int, int, int], str],
                  budget_s: float | None, json_path=None) -> None:
    """For each kernel, sweep_shape over ``shapes`` (starting no shape once ``budget_s`` seconds of
    that kernel's sweep are spent), print its summary, and write every row and the summaries to
    ``json_path`` (and .md beside it). ``candidates(kernel, M)`` names the cases to time;
    ``pick(kernel, M, N, K)`` is the heuristics' current entry."""
    device, rows, texts = torch.device("cuda"), [], []
    for kernel in kernels:
        start, per_shape = time.monotonic(), {}
        for M, N, K in shapes:
            if budget_s is not None and time.monotonic() - start > budget_s:
                print(f"budget spent: {kernel} stops before {M}x{N}x{K}", flush=True)
                break
            per_shape[M, N, K] = sweep_shape(kernel, candidates(kernel, M), M, N, K, device, rows)
            times, peer_us = per_shape[M, N, K]
            best = sorted(times.items(), key=lambda x: x[1])[:3]
            print(kernel, M, N, K, f"peer={peer_us}", *(f"{n}={us:.1f}" for n, us in best), flush=True)
        texts.append(summarize(kernel, per_shape, lambda M, N, K: pick(kernel, M, N, K)))
        print(texts[-1], flush=True)
    env = environment(device)
    text = (f"{env['gpu']}; torch {env['torch']}, CUDA {env['cuda']}, triton {env['triton']}; {env['date']}\n\n"
            + "\n\n".join(texts))
    if json_path:
        write_pair(json_path, env, rows, text)
