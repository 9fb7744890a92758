"""Which SM90a FP8 GEMM configuration (csrc/sm90a/gemm_configs.h) serves which shape, and in
how many K slices a decode GEMM runs.

The configurations are instantiated for E4M3 x E4M3 into bfloat16 and float16; every other
variant (float32 out, E5M2 operands) runs DEFAULT.
"""

from __future__ import annotations

from . import row_for, split

DEFAULT = "coop_128x128_c2"

# (largest M, entry with promoted accumulation, with fast accumulation): per M of the sweep,
# the configuration and tile walk with the best geometric-mean speed over the Llama 3 8B and 70B
# projection shapes (scripts/tune_sm90a_gemm.py on the H100, M = 1 ... 16384). Promoted: swept
# 2026-11-24 after its mainloop began to overlap promotions with WGMMAs
# (benchmarks/results/h100_sxm_tune_sm90a_overlapped.md); fast: 2026-11-23, M = 1 ... 4096
# (h100_sxm_tune_sm90a.md). Comments: that best's speed against cuBLAS row-wise, promoted /
# fast. Decode sizes run the GEMM transposed, so that the weight's N fills 64-row tiles and a
# few rows of A a 16-wide side. Beyond M = 4096 the fast tile walk is 4 wide: at 8192^3 and
# 16384x57344x8192 it took 128x128 from 0.89x and 0.74x cuBLAS to 0.98x and 0.94x
# (benchmarks/results/h100_sxm_swizzle.md). Stream-K's balanced last wave beat the
# data-parallel 128x128 cluster-2 tile by 2% at M = 4096 and 6% at 16384, promoted.
TABLE: list[tuple[int | None, str, str]] = [
    (16, "swap_pingpong_64x16/s1", "swap_pingpong_64x16/s1"),  # M=1: 1.31x / 1.16x; M=16: 1.18x / 1.11x
    (64, "pingpong_64x128_c1/s1", "pingpong_64x128_c1/s1"),  # 1.10x / 1.08x
    (256, "pingpong_64x128_c1/s1", "pingpong_64x128_c1/s1"),  # 1.09x / 1.01x
    (1024, "coop_128x128_c2/s1", "coop_128x256_c2/s1"),  # 1.08x / 0.97x
    (4096, "coop_128x128_streamk/s4", "coop_128x256_c2"),  # 1.03x / 1.00x
    (None, "coop_128x128_streamk/s4", "coop_128x256_c2"),  # 1.02x at 16384 / -
]

TUNED_VARIANTS = {("bf16", "e4m3", "e4m3"), ("fp16", "e4m3", "e4m3")}

# Fast accumulation's 128x256 tiles can leave many SMs idle in the last round where 128x128 ones
# would fill it. In the H100 sweep at M = 1024 (benchmarks/results/h100_sxm_tune_sm90a.json),
# N = 6144 made 192 tiles of 128x256 on 132 SMs (rounds 73% full) and ran at 0.82x cuBLAS, where
# 384 ping-pong 128x128 tiles (97%) ran at 1.02x; N = 10240 (81% against 97%): 0.88x and 0.98x.
# Where the two fill their rounds alike, 128x256 was as fast or faster (up to 1.05x against 0.98x).
# On the H200 with this rule (benchmarks/results/h200_tune_fill.md), M = 512 went from 0.825x to
# 0.972x cuBLAS (geometric mean; 4096 x 14336: 0.59x to 0.96x) and M = 1024 from 0.941x to 0.990x;
# each shape it moved to 128x128 ran fastest there.
FILL_CONFIG = "pingpong_128x128_c2/s1"
FILL_GAIN = 0.1  # the least gain in round fill that takes FILL_CONFIG

# Promoted accumulation holds 128x128 tiles to 192 registers a thread; 128x192 ones fit the same
# registers with each K tile's WGMMAs in two parts (csrc/sm90a/overlapped_promotion.cuh) and load
# 17% fewer operand bytes per product. In the H100 sweep of 2026-12-06
# (benchmarks/results/h100_sxm_tune_sm90a_wide.md, same run) they ran 1.02-1.20x the table's
# 128x128 pick wherever their tiles filled the SMs' rounds within WIDE_LOSS of 128x128 ones
# (4096 x 28672 x 4096: 1346 against 1120 TFLOPS), and 0.74-0.96x where they did not
# (1024 x 4096: 176 tiles on 132 SMs, rounds 67% full against 97%): M = 1024 gained 0.9%, 4096 3.9%
# as a geometric mean. At M = 16384 they broke even (0.96-1.06x by shape), so stream-K stays.
WIDE_CONFIG = "coop_128x192_c2/s1"
WIDE_LOSS = 0.05
WIDE_MAX_M = 4096


def rounds(tiles: int, sm_count: int) -> int:
    """How many rounds a persistent kernel of one CTA an SM takes over ``tiles`` equal tiles."""
    return -(-tiles // sm_count)


def round_fill(M: int, N: int, tile_m: int, tile_n: int, sm_count: int) -> float:
    """The fraction of the SMs' rounds that (M, N) output tiles of tile_m x tile_n keep busy."""
    tiles = -(-M // tile_m) * -(-N // tile_n)
    return tiles / (rounds(tiles, sm_count) * sm_count)


def _wide_fills(M: int, N: int, promoted: str, sm_count: int) -> bool:
    """Whether WIDE_CONFIG replaces the table's 128x128 promoted pick: M within WIDE_MAX_M and
    128x192 tiles filling the rounds within WIDE_LOSS of 128x128 ones."""
    if M > WIDE_MAX_M or not split(promoted)[0].startswith("coop_128x128"):
        return False
    return round_fill(M, N, 128, 128, sm_count) - round_fill(M, N, 128, 192, sm_count) <= WIDE_LOSS


def pick(M: int, N: int, K: int, out: str, a: str, b: str, fast_accum: bool, sm_count: int) -> str:
    """The table entry for an (M, N, K) GEMM with output ``out`` and operands ``a``, ``b``
    (short names: bf16, fp16, fp32, e4m3, e5m2) on a GPU of ``sm_count`` SMs."""
    if (out, a, b) not in TUNED_VARIANTS:
        return DEFAULT
    _, promoted, fast = row_for(TABLE, M)
    if not fast_accum:
        return WIDE_CONFIG if _wide_fills(M, N, promoted, sm_count) else promoted
    if split(fast)[0] == "coop_128x256_c2" and (
            round_fill(M, N, 128, 128, sm_count) - round_fill(M, N, 128, 256, sm_count) >= FILL_GAIN):
        return FILL_CONFIG
    return fast


# Split-K for decode. A decode GEMM streams the weight once, a 64-row band of N per tile
# (DECODE_CONFIG), one persistent CTA per SM. When ceil(N / 64) tiles fill the SMs' last round
# poorly (N = 10240: 160 tiles on 132 SMs, so 28 SMs read a second band while 104 wait), K can be
# cut in two and the slices' float32 products summed by a second kernel (csrc/sm90a/split_k_sum.cu).
# The H100 sweep (benchmarks/results/h100_sxm_tune_split_k.md) found less than the rounds promise:
# 2 slices took N = 10240, K = 8192 from 44.6 to 42.9 µs and N = 4096, K = 14336 from 33.4 to
# 32.5 µs (M = 1); 4 and 8 slices gained no more, and at K = 4096 the sum's cost outweighed the
# gain (N = 4096: 12.0 to 12.6 µs). So: 2 slices, for K >= MIN_SPLIT_K, when they cut the rounds
# of a full-K tile on the busiest SM by SPLIT_GAIN or more.
DECODE_CONFIG = "swap_pingpong_64x16"
MIN_SPLIT_K = 8192
SPLIT_GAIN = 0.2


def split_k(N: int, K: int, config: str, sm_count: int) -> int:
    """How many K slices the GEMM ``config`` (the table's pick for its M) runs in (1: K whole); only
    DECODE_CONFIG splits."""
    if config != DECODE_CONFIG or K < MIN_SPLIT_K or K % 256:
        return 1
    tiles = -(-N // 64)
    return 2 if rounds(2 * tiles, sm_count) / 2 <= (1 - SPLIT_GAIN) * rounds(tiles, sm_count) else 1
