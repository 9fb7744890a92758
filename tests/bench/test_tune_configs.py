"""scripts/tune_triton_gemm.py's --configs: a pattern that matches no candidate is refused up front,
naming the argument and the candidates (no GPU needed)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "tune_triton_gemm.py"


def _tune_main():
    spec = importlib.util.spec_from_file_location("tune_triton_gemm", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_a_pattern_matching_no_candidate_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        _tune_main()(["--kernels", "triton_scaled_mm[fp8_1x128_128x128]", "--m", "1024", "--configs", "nothing_*"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--configs 'nothing_*' matches no candidate of triton_scaled_mm[fp8_1x128_128x128]" in err
    assert "tma_sub_p2_128x128x128_w8_s3_g8" in err  # the table's configuration, among those listed


def test_a_matching_pattern_gets_past_the_check(monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)  # stop at the GPU check, after --configs
    assert _tune_main()(["--kernels", "triton_scaled_mm[fp8_1x128_128x128]", "--m", "1024",
                         "--configs", "tma_sub_p2_*"]) == 2
