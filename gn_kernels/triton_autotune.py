"""Opt-in autotuning of the Triton GEMMs, with tuned choices saved and loaded.

    from gn_kernels import triton_autotune
    triton_autotune.enable()              # or set GN_KERNELS_TRITON_AUTOTUNE=1
    ...                                   # the first call of each new key times the candidates
    triton_autotune.save("tuned.json")    # later, in another process: triton_autotune.load(...)

A key is (table, M bucket, N, K): the table of gn_kernels/heuristics/triton_mm.py the GEMM takes
(by input dtype, accumulation and scaling) and M rounded up to a power of two (16 to 16384), so a
serving loop whose batch size changes at every step tunes once per bucket, not once per M. The
first call of a key times each candidate of its table (heuristics.triton_mm.candidates) on the
call's own operands, synchronizing the GPU, and keeps the fastest. Nothing is timed while a CUDA
graph is being captured or when autotuning is off: a key not yet tuned then takes the table's
entry, and one tuned (or loaded) before takes its tuned configuration, whether tuning is on or not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import torch
import triton

from .heuristics import triton_mm as configs

ENV = "GN_KERNELS_TRITON_AUTOTUNE"
_state = {"enabled": os.environ.get(ENV) == "1"}
_tuned: dict[tuple[str, int, int, int], configs.MmConfig] = {}


def enable(on: bool = True) -> None:
    _state["enabled"] = on


def m_bucket(M: int) -> int:
    return min(max(16, 1 << (M - 1).bit_length()), 16384)


def _time_ms(fn: Callable[[], None]) -> float:
    return triton.testing.do_bench(fn, warmup=5, rep=20)


def choose(table: str, M: int, N: int, K: int, run: Callable[[configs.MmConfig], None],
           interpreting: bool) -> configs.MmConfig | None:
    """The tuned configuration of the key, tuning it first if autotuning is on (``run`` launches
    the GEMM at a given configuration); None where the table's entry is to be taken."""
    key = (table, m_bucket(M), N, K)
    capturing = torch.cuda.is_available() and torch.cuda.is_current_stream_capturing()
    if key in _tuned or not _state["enabled"] or capturing:
        return _tuned.get(key)
    times = {}
    for cfg in configs.candidates(table, M, interpreting):
        try:
            times[cfg] = _time_ms(lambda: run(cfg))
        except Exception:  # a candidate that cannot compile or launch on this GPU (shared memory, registers) loses
            continue
    if times:
        _tuned[key] = min(times, key=times.get)
    return _tuned.get(key)


def tuned() -> dict[tuple[str, int, int, int], configs.MmConfig]:
    return dict(_tuned)


def clear() -> None:
    _tuned.clear()


def save(path: str | Path) -> None:
    rows = [{"table": t, "m_bucket": m, "n": n, "k": k, "config": cfg._asdict()}
            for (t, m, n, k), cfg in _tuned.items()]
    Path(path).write_text(json.dumps(rows, indent=1) + "\n")


def load(path: str | Path) -> None:
    """Adds the choices saved at ``path`` (keys already tuned here are replaced)."""
    for row in json.loads(Path(path).read_text()):
        _tuned[row["table"], row["m_bucket"], row["n"], row["k"]] = configs.MmConfig(**row["config"])
