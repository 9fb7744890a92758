"""Check, then time: one case at one shape, or a sweep."""

from __future__ import annotations

import datetime
import statistics
import sys
import threading
import time
from dataclasses import dataclass

import torch

from ..testing import check_gemm
from .cases import Case

CHECK_ROWS = 256  # rows of the output checked against the float64 reference


@dataclass
class Result:
    kernel: str
    peer: bool
    M: int
    N: int
    K: int
    us: float | None = None
    tflops: float | None = None
    note: str = ""  # why there is no time: unsupported shape, failed check

    def as_row(self) -> dict:
        return {"kernel": self.kernel, "peer": self.peer, "M": self.M, "N": self.N, "K": self.K,
                "us": self.us, "tflops": self.tflops}


def check_rows(M: int, device: torch.device) -> torch.Tensor:
    """Rows spread over all of M (first and last included), so every M tile region is sampled."""
    if M <= CHECK_ROWS:
        return torch.arange(M, device=device)
    return torch.linspace(0, M - 1, CHECK_ROWS, device=device).round().long().unique()


L2_FLUSH_BYTES = 256 << 20  # five times the 50 MB L2 of an H100


def copy_gbs(nbytes: int = 128 << 20) -> float:
    """Device-to-device copy bandwidth in GB/s (bytes read plus bytes written) of a float32 buffer:
    the realistic ceiling of a kernel that streams its operands once. On the H100 (2026-11-23) a
    128 MiB copy measured 2956 GB/s and a 1 GiB one 2457: the default takes the higher, stricter one."""
    src = torch.empty(nbytes // 4, dtype=torch.float32, device="cuda")
    dst = torch.empty_like(src)
    return 2 * nbytes / time_us(lambda: dst.copy_(src)) / 1e3


def time_us(fn) -> float:
    """GPU time of fn in µs, L2 flushed before each call. CUDA graphs of `reps` (flush, fn) pairs
    and of `reps` flushes alone are replayed `trials` times; the median difference, per call.
    Short calls get more of both (up to 10 and 15), so that every timing takes some 20-50 ms.
    Replaying graphs leaves out the host's cost of launching, which a model run under CUDA graphs
    or torch.compile does not pay either: without it, a 10 µs GEMM timed launch by launch measures
    Python dispatch (ours through torch.library, the peers' through ATen) as much as the kernel."""
    flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device="cuda")
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    with torch.cuda.stream(side):  # compiles and warms up off the capture, as torch requires
        fn()
        start.record()
        fn()
        end.record()
    torch.cuda.current_stream().wait_stream(side)
    end.synchronize()
    estimate_ms = start.elapsed_time(end)
    reps = max(1, min(10, round(1.0 / max(estimate_ms, 1e-3))))
    trials = 15 if estimate_ms < 1.0 else 5
    graphs = []
    for with_fn in (True, False):
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for _ in range(reps):
                flush.zero_()
                if with_fn:
                    fn()
        graph.replay()
        graphs.append(graph)
    per_call = []
    for _ in range(trials):
        ms = []
        for graph in graphs:
            start.record()
            graph.replay()
            end.record()
            end.synchronize()
            ms.append(start.elapsed_time(end))
        per_call.append((ms[0] - ms[1]) / reps)
    return statistics.median(per_call) * 1e3


def measure(case: Case, M: int, N: int, K: int, device: torch.device) -> Result:
    result = Result(case.name, case.is_peer, M, N, K)
    reason = case.unsupported(M, N, K, device)
    if reason:
        result.note = f"skipped: {reason}"
        return result
    torch.manual_seed(M * 131 + N * 7 + K)
    try:
        inputs = case.make(M, N, K, device)
        out = inputs.run()
    except RuntimeError as e:
        if not case.is_peer:
            raise
        # A peer refusing a shape for which torch documents no rule.
        result.note = f"refused: {str(e).splitlines()[0]}"
        return result
    check = check_gemm(out, inputs.A, inputs.B, case.accumulation, rows=check_rows(M, device))
    if not check.ok:
        result.note = f"check failed, not timed: {check}"
        return result
    del out
    result.us = time_us(inputs.run)
    result.tflops = 2 * M * N * K / (result.us * 1e-6) / 1e12
    return result


def sweep(cases: list[Case], shapes: list[tuple[int, int, int]], device: torch.device) -> list[Result]:
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a convenience; the sweep runs without it
        def tqdm(it, **_):
            return it

    results = []
    jobs = [(s, c) for s in shapes for c in cases]
    for (M, N, K), case in tqdm(jobs, desc="benchmark", file=sys.stderr):
        results.append(measure(case, M, N, K, device))
        torch.cuda.empty_cache()
    return results


def clock_and_power(fn, seconds: float = 3.0, interval: float = 0.01) -> tuple[float, float]:
    """Median SM clock (MHz) and board power (W), read through NVML (torch.cuda.clock_rate and
    power_draw) every `interval` seconds while fn runs back to back for `seconds`, the first quarter
    of the samples (the clock settling) left out. Two kernels that time apart at one instruction
    count can differ in how much power they draw, and a GPU at its power limit lowers its clock."""
    samples, done = [], threading.Event()

    def sample():
        while not done.is_set():
            samples.append((torch.cuda.clock_rate(), torch.cuda.power_draw() / 1e3))
            time.sleep(interval)

    fn()
    torch.cuda.synchronize()
    sampler = threading.Thread(target=sample)
    sampler.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(4):  # queued ahead, so that the GPU does not idle between calls
            fn()
        torch.cuda.synchronize()
    done.set()
    sampler.join()
    kept = samples[len(samples) // 4:]
    return statistics.median(c for c, _ in kept), statistics.median(w for _, w in kept)


def environment(device: torch.device) -> dict:
    import triton

    return {
        "gpu": torch.cuda.get_device_name(device),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "triton": triton.__version__,
        "date": datetime.date.today().isoformat(),
    }
