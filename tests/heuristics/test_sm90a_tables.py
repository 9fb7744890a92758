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
    config, _ = heuristics.split(sm90a_fp8.pick(M, 4096, 4096, out, "e4m3", "e4m3", fast))
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
            | _configs(sm90a_block_scaled.TABLE) | {sm90a_fp8.DEFAULT, sm90a_int8.DEFAULT, sm90a_block_scaled.DEFAULT})
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
    assert sm90a_fp8.pick(1, 4096, 4096, *variant, False) == sm90a_fp8.DEFAULT
