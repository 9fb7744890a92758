"""gn_kernels.triton_autotune: one tuning per (table, M bucket, N, K), the fastest candidate kept,
choices saved and loaded. Timing is replaced by a fake whose fastest candidate is known; the
GEMM's numbers are checked against the float64 reference."""

import pytest
import torch

from gn_kernels import triton_autotune, triton_mm
from gn_kernels.heuristics import triton_mm as configs
from gn_kernels.testing import FP32_ACC, assert_gemm_close

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


@pytest.fixture
def timed(monkeypatch):
    """Autotuning on, an empty cache, and a fake timer that runs each candidate and reports each
    later one faster than the one before, so the last candidate is the fastest; yields the runs."""
    runs = []

    def fake_time(fn):
        fn()
        runs.append(fn)
        return 1.0 / len(runs)

    monkeypatch.setattr(triton_autotune, "_time_ms", fake_time)
    triton_autotune.clear()
    triton_autotune.enable()
    yield runs
    triton_autotune.enable(False)
    triton_autotune.clear()


def _operands(M, N=48, K=64):
    return torch.randn(M, K, device=DEVICE, dtype=torch.bfloat16), torch.randn(N, K, device=DEVICE, dtype=torch.bfloat16).t()


def test_tunes_once_per_m_bucket_and_keeps_the_fastest(timed):
    A, B = _operands(100)
    assert_gemm_close(triton_mm(A, B), A.double(), B.double(), FP32_ACC)
    candidates = configs.candidates("16bit", 100, DEVICE == "cpu")
    assert len(timed) == len(candidates) > 1
    assert triton_autotune.tuned() == {("16bit", 128, 48, 64): candidates[-1]}
    A2, B2 = _operands(120)  # the same bucket: no more timing
    assert_gemm_close(triton_mm(A2, B2), A2.double(), B2.double(), FP32_ACC)
    assert len(timed) == len(candidates)


def test_saved_choices_load_into_a_fresh_cache(timed, tmp_path):
    A, B = _operands(33)
    triton_mm(A, B)
    saved = triton_autotune.tuned()
    triton_autotune.save(tmp_path / "tuned.json")
    triton_autotune.clear()
    triton_autotune.load(tmp_path / "tuned.json")
    assert triton_autotune.tuned() == saved
    before = len(timed)
    triton_mm(*_operands(40))  # bucket 64, loaded: nothing timed
    assert len(timed) == before


def test_off_means_no_timing_and_the_table(monkeypatch):
    monkeypatch.setattr(triton_autotune, "_time_ms", lambda fn: pytest.fail("timed while autotuning is off"))
    triton_autotune.clear()
    triton_autotune.enable(False)
    A, B = _operands(20)
    assert_gemm_close(triton_mm(A, B), A.double(), B.double(), FP32_ACC)
    assert triton_autotune.tuned() == {}


@pytest.mark.parametrize("M,bucket", [(1, 16), (16, 16), (17, 32), (1000, 1024), (1024, 1024), (50000, 16384)])
def test_m_buckets(M, bucket):
    assert triton_autotune.m_bucket(M) == bucket
