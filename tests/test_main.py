import subprocess
import sys

import torch


def test_python_m_gn_kernels_prints_versions_families_and_ops():
    out = subprocess.run([sys.executable, "-m", "gn_kernels"], check=True, capture_output=True, text=True).stdout
    assert out.startswith("gn_kernels ")
    assert f"torch {torch.__version__}" in out
    for family in ("sm80", "sm89", "sm90a", "sm120a"):
        assert family in out
    assert "cutlass_fp8_mm" in out
