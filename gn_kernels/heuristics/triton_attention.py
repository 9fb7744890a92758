"""Launch configuration of the Triton attention kernel (gn_kernels/triton_attention_kernels.py)."""

from __future__ import annotations

from typing import NamedTuple


class AttnConfig(NamedTuple):
    block_m: int  # queries per program
    block_n: int  # keys per step
    num_warps: int
    num_stages: int
    gluon: bool = False  # the Hopper kernel of gn_kernels/triton_attention_hopper.py
    persistent: bool = False  # the Gluon kernel launched as many programs as the SMs hold, not one a tile

    @property
    def name(self) -> str:
        return (f"{self.block_m}x{self.block_n}_w{self.num_warps}_s{self.num_stages}" + ("_gluon" if self.gluon else "")
                + ("_persistent" if self.persistent else ""))


# bfloat16 q and k: the fastest of benchmark_attn.py --sweep (batch 4, 8 heads, 4096 queries, 8192
# keys, head dim 128; triton 3.6). On the H200, 2026-12-02 (benchmarks/results/h200_attn_sweep.md):
# 536 TFLOPS non-causal, 447 causal, where 128x128 with 8 warps and 3 stages reached 539 and 414 and
# 128x64 with 8 warps 510 and 403. On the H100 before the masked blocks were split off (2026-11-23,
# h100_sxm_attn_sweep.md): 494 and 374. With causal blocks launched longest first (the same H200,
# h200_attn_sweep_three_programs.md): 527 and 469, against 541 and 428 for 128x128; 64x32 with 3
# stages, three programs an SM, 433 and 424.
SIXTEEN_BIT = AttnConfig(64, 64, 4, 3)
# int8 or FP8 q and k: 128x64 with 8 warps, 524 TFLOPS non-causal and 408 causal with int8 in the
# same H200 sweep; 64x64 with 4 warps, 517 and 423. Longest first: 518 and 461 against 514 and 423.
QUANTIZED = AttnConfig(128, 64, 8, 3)
INTERPRETER = AttnConfig(16, 16, 4, 1)
# The Gluon kernel on sm_90, head dim 64 or 128, bfloat16 or float16 q and k. In the H200 sweep of
# 2026-12-02 (benchmarks/results/h200_attn_gluon_sweep.md) 64x64 with 4 warps and 3 stages, two
# programs an SM (112 KB of shared memory each), reached 559 TFLOPS non-causal and 488 causal, against
# 534 and 472 for SIXTEEN_BIT in the same run; 128x128 with 8 warps, one program an SM, 519 and 440.
# With int8 q and k it reached 497 and 439, below QUANTIZED's 520 and 463: those stay on the Triton kernel.
# With q in registers (h200_attn_gluon_q_registers.md): 562 and 494; 4 stages (one program an SM) 372
# and 330; 128x64 and 128x128 with 8 warps 445 and 529 non-causal, 405 and 400 causal.
# With a producer warp and each warpgroup a partition (h200_attn_gluon_producer_partitions.md,
# 2026-12-03): 128x64 on two warpgroups, 3 stages, 598-602 non-causal and 502-507 causal, against
# 560-567 and 490-497 for the kernel before in the same runs; 4 stages 598 and 507; 64x64 on one
# warpgroup, two programs an SM, 583 and 503; 128x128 on two warpgroups, 2 stages, 335 and 266 (spills).
# Int8 and FP8 q and k on it reached 433-473 non-causal, below QUANTIZED's 518-526. With the softmax
# beside the previous P·V (h200_attn_turns_after_softmax_fix.md): 3 stages 606-619 non-causal and
# 492-495 causal, 4 stages 607-619 and 500-501, in one run; 8-bit q and k 474-480, still below QUANTIZED.
# With the keys' scales loaded by TMA and the row's folded into the exponent (2026-12-04,
# h200_attn_gluon_key_scales.md), 8-bit q and k take it too: int8 558-562 non-causal and 482-484
# causal, FP8 569-573 and 491-492, against QUANTIZED's 496-505 and 447-453 (int8), 516-521 and
# 464-466 (FP8) in the same run; 4 stages 553-580 and 490-494.
# With blocks of 128 keys, q read from shared memory (2026-12-04, h200_attn_gluon_128_keys.md, B4 H8
# 4096x8192 D128): bfloat16 684-686 non-causal and 549-551 causal against 615 and 507-510 at 128x64
# in the same runs; int8 613-639 and 521-537 against 563-565 and 480-483; FP8 572-602 and 521-531
# against 574-576 and 491-494. Two stages: 429-468 and 389-415. At head dim 64, 128x128 with 3 stages
# against 128x64: bfloat16 456 against 385 non-causal, int8 395 against 334, FP8 368 against 352.
# bfloat16 does not fit four stages in shared memory.
# Persistent: on the H100 (B4 H8 4096x8192 D128, against a program a tile in the same runs) causal
# ran 1.08-1.09x as fast with bfloat16, 1.03-1.04x with int8 and 1.05-1.07x with FP8 q and k,
# non-causal bfloat16 1.01-1.02x (benchmarks/results/h100_sxm_attn_persistent.md and
# h100_sxm_attn_persistent_compile_time.md).
HOPPER = AttnConfig(128, 128, 8, 3, gluon=True, persistent=True)
# Four stages, 8-bit q and k, non-causal: FP8 688-696 against 572-602 for HOPPER in the same runs,
# int8 626-641 against 613-639; causal they lost (FP8 515-520 against 521-531, int8 517-522 against
# 521-537), so causal 8-bit q and k keep HOPPER. A program a tile: persistent, int8 ran 0.99x and
# FP8 0.92-0.94x as fast (h100_sxm_attn_persistent.md).
HOPPER_8BIT = AttnConfig(128, 128, 8, 4, gluon=True)


def pick(quantized_qk: bool, interpreting: bool, hopper: bool = False, causal: bool = False) -> AttnConfig:
    """hopper: the inputs fit the Gluon kernel (triton_attention_kernels._gluon_fits)."""
    if interpreting:
        return INTERPRETER
    if hopper:
        return HOPPER_8BIT if quantized_qk and not causal else HOPPER
    return QUANTIZED if quantized_qk else SIXTEEN_BIT
