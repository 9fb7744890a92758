"""Measurements beside the timings: the clock and power sampler."""

import pytest
import torch

from gn_kernels.bench.runner import clock_and_power


@pytest.mark.gpu
def test_clock_and_power_reads_the_gpu_while_it_works():
    a = torch.randn(4096, 4096, device="cuda", dtype=torch.bfloat16)
    mhz, watts = clock_and_power(lambda: a @ a, seconds=0.5)
    # An SM clock between an idle floor and what any GPU reaches; a board drawing some power but
    # less than the 1.2 kW of the largest module torch runs on.
    assert 100 < mhz < 4000
    assert 10 < watts < 1200
