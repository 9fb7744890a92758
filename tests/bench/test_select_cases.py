"""benchmark_mm.py's --kernels: exact case names, globs and 'all'."""

import pytest

from benchmark_mm import select_cases
from gn_kernels.bench.cases import CASES


def _names(spec):
    return [c.name for c in select_cases(spec)]


def test_a_bracketed_name_selects_its_case():
    assert _names("cutlass_row_scaled_fp8_mm[fast_accum]") == ["cutlass_row_scaled_fp8_mm[fast_accum]"]


def test_an_exact_name_selects_only_itself():
    assert _names("cutlass_row_scaled_fp8_mm") == ["cutlass_row_scaled_fp8_mm"]


def test_globs_and_names_combine_in_case_order():
    got = _names("cublas_fp8_rowwise,cutlass_row_scaled_fp8_mm*")
    want = [n for n in CASES if n == "cublas_fp8_rowwise" or n.startswith("cutlass_row_scaled_fp8_mm")]
    assert got == want and "cutlass_row_scaled_fp8_mm[fast_accum]" in got


def test_all_selects_every_case():
    assert _names("all") == list(CASES)


def test_a_spec_matching_nothing_is_refused_with_the_names():
    with pytest.raises(SystemExit, match="matches none of"):
        select_cases("no_such_kernel")
