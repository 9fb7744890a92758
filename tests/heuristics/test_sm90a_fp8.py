"""The SM90a FP8 shape table names configurations that exist and covers every M."""

import re

import pytest

from gn_kernels.heuristics import sm90a_fp8
from kernels import SM90A_SOURCES, tuned_fp8_instances


def _defined_configs() -> set[str]:
    return set(re.findall(r"using (\w+) = GemmConfig<", (SM90A_SOURCES / "gemm_configs.h").read_text()))


def _tuned_instances(acc: str) -> set[str]:
    return {config for fast, config in tuned_fp8_instances() if fast == (acc == "fast")}


def test_table_names_defined_and_instantiated_configurations():
    promoted = {row[1] for row in sm90a_fp8.TABLE}
    fast = {row[2] for row in sm90a_fp8.TABLE}
    assert promoted | fast | {sm90a_fp8.DEFAULT} <= _defined_configs()
    assert promoted <= _tuned_instances("promoted")
    assert fast <= _tuned_instances("fast")


def test_every_defined_configuration_is_used():
    used = {c for _, *row in sm90a_fp8.TABLE for c in row} | {sm90a_fp8.DEFAULT}
    assert _defined_configs() == used


def test_table_bounds_increase_and_end_unbounded():
    bounds = [m for m, *_ in sm90a_fp8.TABLE]
    assert bounds[-1] is None
    assert all(a < b for a, b in zip(bounds[:-2], bounds[1:-1]))


@pytest.mark.parametrize("fast", [False, True])
@pytest.mark.parametrize("M", [1, 16, 17, 64, 65, 256, 1000, 4096, 16384, 10**6])
def test_every_m_gets_a_configuration(M, fast):
    assert sm90a_fp8.pick(M, 4096, 4096, "bf16", "e4m3", "e4m3", fast) in _defined_configs()


@pytest.mark.parametrize("variant", [("fp32", "e4m3", "e4m3"), ("bf16", "e5m2", "e4m3"), ("fp16", "e4m3", "e5m2")])
def test_untuned_variants_run_the_default(variant):
    assert sm90a_fp8.pick(1, 4096, 4096, *variant, False) == sm90a_fp8.DEFAULT
