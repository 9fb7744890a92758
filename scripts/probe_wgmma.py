"""Latency and rate of the WGMMA the Gluon attention issues for QKᵀ (64 x 128, operands in shared
memory), by operand dtype: one warpgroup a program chains 20,000 WGMMAs of 16 KB operands into one
accumulator, waiting for each (latency) or not (rate), on one SM and on all of them.

    python scripts/probe_wgmma.py --json benchmarks/results/h100_sxm_wgmma_probe.json

It asks whether the tensor cores themselves set int8 q and k apart from FP8 in attention.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from tabulate import tabulate
from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import mbarrier, tma, warpgroup_mma, warpgroup_mma_wait
from triton.experimental.gluon.nvidia.hopper import TensorDescriptor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gn_kernels.bench.report import environment_line, write_pair  # noqa: E402
from gn_kernels.bench.runner import environment  # noqa: E402
from gn_kernels.triton_attention_hopper import GL_DTYPES  # noqa: E402

ITERS = 20_000


@gluon.jit
def _chain(a_desc, b_desc, out_ptr, iters, ACC: gl.constexpr, WAIT_EACH: gl.constexpr):
    a_smem = gl.allocate_shared_memory(a_desc.dtype, a_desc.block_type.shape, a_desc.layout)
    b_smem = gl.allocate_shared_memory(b_desc.dtype, b_desc.block_type.shape, b_desc.layout)
    bar = gl.allocate_shared_memory(gl.int64, [1], mbarrier.MBarrierLayout())
    mbarrier.init(bar, count=1)
    mbarrier.expect(bar, a_desc.block_type.nbytes + b_desc.block_type.nbytes)
    tma.async_copy_global_to_shared(a_desc, [0, 0], bar, a_smem)
    tma.async_copy_global_to_shared(b_desc, [0, 0], bar, b_smem)
    mbarrier.wait(bar, 0)
    K_STEP: gl.constexpr = 256 // a_desc.dtype.primitive_bitwidth
    layout: gl.constexpr = gl.NVMMADistributedLayout(version=[3, 0], warps_per_cta=[4, 1], instr_shape=[16, 128, K_STEP])
    acc = gl.zeros([64, 128], ACC, layout)
    b = b_smem.permute((1, 0))
    if WAIT_EACH:
        for _ in range(iters):
            acc = warpgroup_mma_wait(0, deps=[warpgroup_mma(a_smem, b, acc, is_async=True)])
    else:  # the accumulator stays with the tensor cores from one WGMMA to the next
        token = warpgroup_mma(a_smem, b, acc, is_async=True)
        for _ in range(iters - 1):
            token = warpgroup_mma(a_smem, b, token, is_async=True)
        acc = warpgroup_mma_wait(0, deps=[token])
    r = gl.arange(0, 64, layout=gl.SliceLayout(1, layout))
    c = gl.arange(0, 128, layout=gl.SliceLayout(0, layout))
    gl.store(out_ptr + gl.program_id(0) * 64 * 128 + r[:, None] * 128 + c[None, :], acc.to(gl.float32))


def _descriptor(t: torch.Tensor) -> TensorDescriptor:
    layout = gl.NVMMASharedLayout.get_default_for(list(t.shape), GL_DTYPES[t.dtype])
    return TensorDescriptor(t, list(t.shape), list(t.stride()), list(t.shape), layout)


def step_k(dtype: torch.dtype) -> int:
    """The K of one step: as deep as makes the 128 rows of B 16 KB, the attention's key block."""
    return 16384 // 128 // dtype.itemsize


def measure(dtype: torch.dtype, wait_each: bool, programs: int) -> dict:
    """ns a 64 x 128 x K step (K: 16 KB of operand rows) and TFLOPS; all-ones operands, so that the
    first output, K * (ITERS + 1), checks that every WGMMA ran (exact in int32 only)."""
    K = step_k(dtype)
    a, b = torch.ones(64, K, device="cuda").to(dtype), torch.ones(128, K, device="cuda").to(dtype)
    out = torch.empty(programs, 64, 128, device="cuda")
    acc = gl.int32 if dtype == torch.int8 else gl.float32

    def launch():
        _chain[(programs,)](_descriptor(a), _descriptor(b), out, ITERS, ACC=acc, WAIT_EACH=wait_each, num_warps=4)

    launch()  # compiles
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    launch()
    end.record()
    torch.cuda.synchronize()
    ns = start.elapsed_time(end) * 1e6 / ITERS
    return dict(dtype=str(dtype).removeprefix("torch."), K=K, wait_each=wait_each, programs=programs, ns_per_step=ns,
                tflops=2 * 64 * 128 * K * programs / ns / 1e3, first_output=float(out[0, 0, 0]),
                expected=float(K * ITERS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not torch.cuda.is_available() or torch.cuda.get_device_capability() != (9, 0):
        print("probe_wgmma.py needs an sm_90 GPU", file=sys.stderr)
        return 2
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    rows = [measure(dtype, wait_each, programs) for dtype in (torch.int8, torch.float8_e4m3fn, torch.bfloat16)
            for wait_each in (True, False) for programs in (1, sms)]
    env = environment(torch.device("cuda"))
    table = tabulate([[r["dtype"], f"64x128x{r['K']}", "each" if r["wait_each"] else "at the end", r["programs"],
                       f"{r['ns_per_step']:.1f}", f"{r['tflops']:.0f}", f"{r['first_output']:.0f} of {r['expected']:.0f}"]
                      for r in rows],
                     headers=["operands", "step", "wait", "programs", "ns a step", "TFLOPS", "first output"],
                     tablefmt="github")
    text = (environment_line(env) + " "
            + f"{ITERS} chained WGMMA steps a program, one launch timed by CUDA events after a warm-up.\n\n{table}")
    print(text)
    if args.json:
        write_pair(args.json, env, rows, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
