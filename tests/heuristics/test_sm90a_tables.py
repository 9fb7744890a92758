"""The SM90a shape tables name configurations that are defined and instantiated, cover every M,
and between them use every configuration gemm_configs.h defines."""

import re

import pytest

from gn_kernels import heuristics
from gn_kernels.heuristics import sm90a_block_scaled, sm90a_fp8, sm90a_int8
from kernels import SM90A_SOURCES, scaled_instances, tuned_fp8_instances

M_PROBES = [1, 16, 17, 64, 65, 256, 257, 1000, 1024, 4096, 16384, 10**6]
INT8 = scaled_instances("int8_gemm_instances.h")
BLOCK = scaled_instances("block_scaled_gemm_instances.h")


def _defined_configs() -> set[str]:
    return set(re.findall(r"using (\w+) = GemmConfig<", (SM90A_SOURCES / "gemm_configs.h").read_text()))


def _configs(table) -> set[str]:
    return {heuristics.split(entry)[0] for _, *entries in table for entry in entries}


def _fp8_instance(M: int, out: str, fast: bool) -> bool:
    config, _ = heuristics.split(sm90a_fp8.pick(M, 4096, 4096, out, "e4m3", "e4m3", fast, 132))
    return config == sm90a_fp8.DEFAULT or (fast, config) in tuned_fp8_instances()


@pytest.mark.parametrize("M", M_PROBES)
def test_every_m_gets_an_instantiated_configuration(M):
    for out in ("bf16", "fp16", "fp32"):
        assert _fp8_instance(M, out, False) and _fp8_instance(M, out, True)
        assert (out, heuristics.split(sm90a_block_scaled.pick(M, 4096, 4096, out))[0]) in BLOCK
    for out in ("bf16", "fp16", "fp32", "int32"):
        assert (out, heuristics.split(sm90a_int8.pick(M, 4096, 4096, out))[0]) in INT8


def test_tables_use_every_defined_configuration_and_no_other():
    used = (_configs(sm90a_fp8.TABLE) | _configs(sm90a_int8.TABLE) | _configs(sm90a_int8.INT32_TABLE)
            | _configs(sm90a_block_scaled.TABLE)
            | {heuristics.split(c)[0] for c in (sm90a_fp8.FILL_CONFIG, sm90a_fp8.WIDE_CONFIG)}
            | {sm90a_fp8.DEFAULT, sm90a_int8.DEFAULT, sm90a_block_scaled.DEFAULT})
    assert used == _defined_configs()


@pytest.mark.parametrize("table", [sm90a_fp8.TABLE, sm90a_int8.TABLE, sm90a_int8.INT32_TABLE, sm90a_block_scaled.TABLE])
def test_bounds_increase_and_end_unbounded(table):
    bounds = [row[0] for row in table]
    assert bounds[-1] is None and all(a < b for a, b in zip(bounds[:-2], bounds[1:-1]))


def test_entries_name_their_tile_walk_or_take_the_default():
    assert heuristics.split("swap_pingpong_64x16/s1") == ("swap_pingpong_64x16", 1)
    assert heuristics.split("coop_128x128_c2") == ("coop_128x128_c2", heuristics.MAX_SWIZZLE)
    for table in (sm90a_fp8.TABLE, sm90a_int8.TABLE, sm90a_block_scaled.TABLE):
        for _, *entries in table:
            assert all(heuristics.split(e)[1] in (1, 2, 4, 8) for e in entries)


@pytest.mark.parametrize("variant", [("fp32", "e4m3", "e4m3"), ("bf16", "e5m2", "e4m3"), ("fp16", "e4m3", "e5m2")])
def test_untuned_fp8_variants_run_the_default(variant):
    assert sm90a_fp8.pick(1, 4096, 4096, *variant, False, 132) == sm90a_fp8.DEFAULT


# Rounds of a full-K tile on the busiest of 132 SMs, with 64-row tiles of N (hand-counted):
# N = 10240 is 160 tiles, 2 rounds whole and 3/2 in halves; N = 4096 is 64 tiles, 1 round whole,
# 1/2 in halves; N = 6144 is 96 tiles, 1 round either way; N = 28672 is 448 tiles, 4 rounds whole
# and 7/2 in halves (a 12.5% cut, below SPLIT_GAIN = 20%); N = 57344 is 896 tiles, 7 either way.
@pytest.mark.parametrize("N,K,expected", [
    (10240, 8192, 2), (4096, 14336, 2), (6144, 16384, 1), (28672, 8192, 1), (57344, 8192, 1),
    (4096, 4096, 1),  # K below MIN_SPLIT_K: the sum would cost more than the halves save
    (10240, 8192 + 128, 1),  # halves of K would not be whole 128-deep K-tiles
])
def test_decode_split_k_follows_the_rounds_of_tiles(N, K, expected):
    assert (sm90a_fp8.SPLIT_GAIN, sm90a_fp8.MIN_SPLIT_K) == (0.2, 8192)
    assert sm90a_fp8.split_k(N, K, sm90a_fp8.DECODE_CONFIG, 132) == expected


def test_only_the_decode_configuration_splits_k():
    assert sm90a_fp8.split_k(10240, 8192, "pingpong_64x128_c1", 132) == 1
    for fast in (False, True):
        config, _ = heuristics.split(sm90a_fp8.pick(1, 10240, 8192, "bf16", "e4m3", "e4m3", fast, 132))
        assert config == sm90a_fp8.DECODE_CONFIG


# Round fill on 132 SMs at M = 1024 (8 rows of 128): N = 6144 is 192 tiles of 128x256 (2 rounds,
# 73% full) against 384 of 128x128 (3 rounds, 97%); N = 10240 is 320 (81%) against 640 (97%);
# N = 8192 is 256 (97%) against 512 (97%). M = 4096, N = 6144: 768 (97%) against 1536 (97%).
@pytest.mark.parametrize("M,N,fills", [(1024, 6144, True), (1024, 10240, True), (1024, 8192, False),
                                       (1024, 4096, False), (4096, 6144, False), (16, 6144, False)])
def test_fast_accumulation_takes_128x128_tiles_where_they_fill_the_last_round(M, N, fills):
    assert sm90a_fp8.FILL_GAIN == 0.1
    fast = sm90a_fp8.pick(M, N, 4096, "bf16", "e4m3", "e4m3", True, 132)
    assert (fast == sm90a_fp8.FILL_CONFIG) == fills
    assert sm90a_fp8.pick(M, N, 4096, "bf16", "e4m3", "e4m3", False, 132) != sm90a_fp8.FILL_CONFIG
    assert (False, heuristics.split(sm90a_fp8.FILL_CONFIG)[0]) not in tuned_fp8_instances()
    assert (True, heuristics.split(sm90a_fp8.FILL_CONFIG)[0]) in tuned_fp8_instances()


def test_round_fill_counts_partial_tiles_and_rounds():
    assert sm90a_fp8.round_fill(1024, 6144, 128, 256, 132) == 192 / 264
    assert sm90a_fp8.round_fill(1, 100, 128, 128, 132) == 1 / 132
    assert sm90a_fp8.round_fill(1024, 8192, 128, 256, 128) == 1.0


# Round fill on 132 SMs, 128x192 tiles against 128x128 (hand-counted): M = 1024, N = 6144 is 256
# tiles (2 rounds, 97% full) against 384 (3 rounds, 97%); N = 4096 is 8 x 22 = 176 (67%) against 256
# (97%); N = 8192 is 8 x 43 = 344 (3 rounds, 87%) against 512 (97%). M = 4096, N = 28672 is
# 32 x 150 = 4800 (37 rounds, 98.3%) against 7168 (55 rounds, 98.7%).
@pytest.mark.parametrize("M,N,wide", [(1024, 6144, True), (1024, 4096, False), (1024, 8192, False),
                                      (4096, 28672, True), (16384, 6144, False), (256, 6144, False)])
def test_promoted_accumulation_takes_128x192_tiles_where_they_fill_the_rounds_as_well(M, N, wide):
    assert (sm90a_fp8.WIDE_LOSS, sm90a_fp8.WIDE_MAX_M) == (0.05, 4096)
    promoted = sm90a_fp8.pick(M, N, 4096, "bf16", "e4m3", "e4m3", False, 132)
    assert (promoted == sm90a_fp8.WIDE_CONFIG) == wide
    assert sm90a_fp8.pick(M, N, 4096, "bf16", "e4m3", "e4m3", True, 132) != sm90a_fp8.WIDE_CONFIG
    assert (False, heuristics.split(sm90a_fp8.WIDE_CONFIG)[0]) in tuned_fp8_instances()
