"""TFLOPS of the Triton attention kernels and the mma.sync ones (attn_int8_qk, attn_int8, attn_mxfp8_qk) beside
F.scaled_dot_product_attention's flash and cuDNN backends (bfloat16), measured in the same run, non-causal and causal.

    python benchmark_attn.py --json benchmarks/results/h100_sxm_attn.json

Each output is checked first (one batch and head, against the float64 attention of the
dequantized inputs, gn_kernels.testing.check_attention). Quantized q and k carry per-token
scales as a quantizer makes them (amax / 127 for int8, amax / 448 for FP8); MXFP8 ones come from
quantize_mx.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from tabulate import tabulate

import gn_kernels
from gn_kernels.bench.report import environment_line, write_pair
from gn_kernels.bench.runner import clock_and_power, environment, time_us
from gn_kernels.heuristics.triton_attention import AttnConfig
from gn_kernels.testing import (FP32_ACC, HOPPER_FP8_FAST, INT32_ACC, MMA_SYNC_FP8_PER_BLOCK, check_attention,
                                quantize_tokens)

def _sdpa(backend):
    from torch.nn.attention import sdpa_kernel

    def run(q, k, v, causal):
        with sdpa_kernel(backend):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    return run


# Every one fits the 227 KB of shared memory a block may take on the H100 at head dim 128. With
# Triton 3.6 and bf16, 64x32 with 3 stages takes 64 KB and 128 registers a thread: three programs
# an SM; 128x64 with 8 warps and 2 stages 96 KB.
SWEEP = [AttnConfig(*c) for c in [(128, 64, 8, 2), (128, 64, 8, 3), (128, 64, 8, 4), (128, 128, 8, 2),
                                   (128, 128, 8, 3), (64, 64, 4, 3), (64, 64, 4, 4), (64, 128, 4, 3), (128, 32, 4, 4),
                                   (64, 32, 4, 3), (64, 32, 4, 4)]] + [
    # The Gluon kernel (sm_90): 64x64 on one warpgroup with 3 stages takes 112 KB, two programs an
    # SM; 128 rows take two warpgroups and one program an SM; bfloat16 128x128 fits 3 stages, not 4.
    AttnConfig(*c, gluon=True)
    for c in [(128, 64, 8, 3), (64, 64, 4, 3), (128, 128, 8, 2), (128, 128, 8, 3), (128, 128, 8, 4)]]


def kernels(sweep: bool = False) -> dict:
    """name -> (run(q, k, v, causal) on bfloat16 inputs, QK accumulation, is a peer)."""
    from torch.nn.attention import SDPBackend

    def scaled(fn, dtype):
        def run(q, k, v, causal):
            (qq, sq), (kq, sk) = quantize_tokens(q, dtype), quantize_tokens(k, dtype)
            return lambda: fn(qq, kq, v, sq, sk, causal), dict(q=qq, k=kq, v=v, scale_q=sq, scale_k=sk)
        return run

    def int8_v(q, k, v, causal):  # V quantized per channel: amax over tokens / 127
        (qq, sq), (kq, sk) = quantize_tokens(q, torch.int8), quantize_tokens(k, torch.int8)
        vt, sv = quantize_tokens(v.transpose(-1, -2), torch.int8)
        vq = vt.transpose(-1, -2).contiguous()
        return (lambda: gn_kernels.attn_int8(qq, kq, vq, sq, sk, sv, causal),
                dict(q=qq, k=kq, v=vq, scale_q=sq, scale_k=sk, scale_v=sv, p_step=1 / 255))

    def mxfp8(q, k, v, causal):
        (qq, sq), (kq, sk) = (gn_kernels.quant.quantize_mx(t, torch.float8_e4m3fn) for t in (q, k))
        deq = gn_kernels.quant.dequantize_mx
        return (lambda: gn_kernels.attn_mxfp8_qk(qq, kq, v, sq, sk, causal),
                dict(q=deq(qq, sq), k=deq(kq, sk), v=v))

    def plain(fn):
        return lambda q, k, v, causal: (lambda: fn(q, k, v, causal), dict(q=q, k=k, v=v))

    def forced(cfg):  # the kernel at one configuration, for --sweep
        from gn_kernels.triton_attention_kernels import attention

        def run(q, k, v, causal, scale_q=None, scale_k=None):
            out = torch.empty(q.shape, dtype=v.dtype, device=q.device)
            attention(q, k, v, out, causal, scale_q, scale_k, cfg=cfg)
            return out

        return run

    swept = {}
    for c in SWEEP if sweep else []:
        run = forced(c)
        swept[f"triton_attn<{c.name}>"] = (plain(run), FP32_ACC, False)
        swept[f"triton_scaled_qk_attn[int8]<{c.name}>"] = (
            scaled(lambda q, k, v, sq, sk, causal, run=run: run(q, k, v, causal, sq, sk), torch.int8), INT32_ACC, False)
    return swept | {
        "sdpa_flash": (plain(_sdpa(SDPBackend.FLASH_ATTENTION)), FP32_ACC, True),
        "sdpa_cudnn": (plain(_sdpa(SDPBackend.CUDNN_ATTENTION)), FP32_ACC, True),
        "triton_attn": (plain(gn_kernels.triton_attn), FP32_ACC, False),
        "triton_scaled_qk_attn[int8]": (scaled(gn_kernels.triton_scaled_qk_attn, torch.int8), INT32_ACC, False),
        "triton_scaled_qk_attn[fp8]": (scaled(gn_kernels.triton_scaled_qk_attn, torch.float8_e4m3fn), HOPPER_FP8_FAST,
                                       False),
        "attn_int8_qk": (scaled(gn_kernels.attn_int8_qk, torch.int8), INT32_ACC, False),
        "attn_int8": (int8_v, INT32_ACC, False),
        "attn_mxfp8_qk": (mxfp8, MMA_SYNC_FP8_PER_BLOCK, False),
    }


def flops(B: int, H: int, Lq: int, Lk: int, D: int, causal: bool) -> float:
    """Two GEMMs of 2 D flops per kept (query, key) pair; causal keeps key j <= query i."""
    pairs = sum(min(i + 1, Lk) for i in range(Lq)) if causal else Lq * Lk
    return 4.0 * B * H * pairs * D


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", default="4,8,4096,8192,128", help="batch,heads,len_q,len_kv,head_dim")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--sweep", action="store_true",
                        help="also time triton_attn and the int8 triton_scaled_qk_attn at each configuration of SWEEP")
    parser.add_argument("--clocks", action="store_true",
                        help="also report the SM clock and board power while each kernel runs back to back")
    args = parser.parse_args(argv)
    if not torch.cuda.is_available():
        print("benchmark_attn.py needs a CUDA GPU", file=sys.stderr)
        return 2
    B, H, Lq, Lk, D = (int(x) for x in args.shape.split(","))
    device = torch.device("cuda")
    torch.manual_seed(0)
    q, k, v = (torch.randn(B, H, L, D, device=device, dtype=torch.bfloat16) for L in (Lq, Lk, Lk))
    rows, failed = [], False
    for causal in (False, True):
        for name, (make, qk_acc, peer) in kernels(args.sweep).items():
            row = {"kernel": name, "peer": peer, "causal": causal, "shape": [B, H, Lq, Lk, D], "us": None,
                   "tflops": None, "note": ""}
            rows.append(row)
            try:
                run, inputs = make(q, k, v, causal)
                out = run()
                one = (slice(0, 1), slice(0, 1))
                inputs = {n: t[one] if isinstance(t, torch.Tensor) else t for n, t in inputs.items()}
                check = check_attention(out[one], causal=causal, qk_acc=qk_acc, **inputs)
            except Exception as e:  # a peer's refusal, or a swept configuration that does not compile
                row["note"] = f"refused: {type(e).__name__}: {str(e).splitlines()[0][:160]}"
                failed = failed or not (peer or "<" in name)
                continue
            if not check.ok:
                row["note"], failed = f"check failed, not timed: {check}", failed or not peer
                continue
            row["us"] = time_us(run)
            row["tflops"] = flops(B, H, Lq, Lk, D, causal) / (row["us"] * 1e-6) / 1e12
            if args.clocks:
                row["sm_mhz"], row["watts"] = clock_and_power(run)
    for causal in (False, True):
        timed = [r for r in rows if r["causal"] == causal and r["peer"] and r["tflops"]]
        best = max(timed, key=lambda r: r["tflops"], default=None)
        for r in rows:
            if r["causal"] == causal and r["tflops"] and best:
                r["vs_best_peer"] = r["tflops"] / best["tflops"]
    env = environment(device)
    measured = {"sm_mhz": "SM MHz", "watts": "W"} if args.clocks else {}
    table = tabulate([[r["kernel"], r["causal"], r["us"] and f"{r['us']:.0f}", r["tflops"] and f"{r['tflops']:.0f}",
                       f"{r['vs_best_peer']:.3f}" if "vs_best_peer" in r else ""]
                      + [f"{r[c]:.0f}" if c in r else "" for c in measured] + [r["note"]] for r in rows],
                     headers=["kernel", "causal", "µs", "TFLOPS", "× faster SDPA backend",
                              *measured.values(), "note"], tablefmt="github")
    text = (environment_line(env) + " "
            + f"batch {B}, heads {H}, len_q {Lq}, len_kv {Lk}, head dim {D}; bfloat16 v and output; GPU time from "
            f"CUDA-graph replay, L2 flushed before each call, median.\n\n{table}")
    print(text)
    if args.json:
        write_pair(args.json, env, rows, text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
