"""Report writing: the committed JSON shape, ratios to the peer, and the tables."""

import json

from gn_kernels.bench import report
from gn_kernels.bench.runner import Result

ENV = {"gpu": "NVIDIA H100 80GB HBM3", "torch": "2.11.0", "cuda": "13.0", "triton": "3.6.0", "date": "2026-11-23"}


def _results():
    return [
        Result("cublas_fp8_tensorwise", True, 4096, 4096, 4096, us=100.0, tflops=1374.4),
        Result("cutlass_fp8_mm", False, 4096, 4096, 4096, us=80.0, tflops=1718.0),
        Result("cublas_fp8_tensorwise", True, 16, 4096, 4096, us=10.0, tflops=53.7),
        Result("cutlass_fp8_mm", False, 16, 4096, 4096, us=12.5, tflops=42.9),
        Result("cublas_int8", True, 16, 4096, 4096, note="skipped: refuses M < 17"),
    ]


def test_json_has_the_committed_shape_and_md_beside_it(tmp_path):
    md = report.write(_results(), ENV, tmp_path / "h100.json")
    data = json.loads((tmp_path / "h100.json").read_text())
    assert {k: data[k] for k in ENV} == ENV
    assert data["rows"][0] == {"kernel": "cublas_fp8_tensorwise", "peer": True, "M": 4096, "N": 4096, "K": 4096,
                               "us": 100.0, "tflops": 1374.4}
    assert len(data["rows"]) == 4  # untimed rows stay out of the JSON, their notes go to the .md
    assert md == tmp_path / "h100.md" and "refuses M < 17" in md.read_text()
    assert md.read_text().startswith(
        "GPU: NVIDIA H100 80GB HBM3; torch 2.11.0, CUDA 13.0, triton 3.6.0; 2026-11-23. GPU time from CUDA-graph")


def test_ratio_is_to_the_peer_at_the_same_shape():
    index = report._index(_results())
    assert report.peer_ratio(_results()[1], index) == 1718.0 / 1374.4
    assert report.peer_ratio(_results()[0], index) is None



def test_geomeans_by_m_range_leave_squares_out_of_the_ranges():
    row = next(line for line in report.geomean_table(_results()).splitlines() if line.startswith("| cutlass_fp8_mm"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    # M = 16 (non-square) alone in "M ≤ 16", no shape in the other ranges, both shapes in "all".
    assert cells[2:] == [f"{42.9 / 53.7:.3f}×", "", "", f"{((1718.0 / 1374.4) * (42.9 / 53.7)) ** 0.5:.3f}×"]


def test_decode_bandwidth_counts_operands_and_output_against_the_copy():
    text = report.decode_bandwidth_table(_results(), copy=3000.0)
    # cutlass_fp8_mm at M = 16: (16 + 4096) * 4096 one-byte operand bytes + 16 * 4096 bf16 outputs in 12.5 us.
    gbs = ((16 + 4096) * 4096 + 16 * 4096 * 2) / 12.5 / 1e3
    assert f"| {gbs:.0f} " in text and f"{100 * gbs / 3000:.1f}" in text and "3000 GB/s" in text


def test_summary_keeps_seed_shape_with_peer_ratio_and_peak():
    text = report.summary_tables(_results(), ENV["gpu"])
    assert "**squares (M = N = K)**" in text and "**N=4096, K=4096**" in text
    assert "× cublas_fp8_tensorwise" in text and "1.25×" in text
    assert "1978.90" in text  # H100 SXM dense FP8 peak in the last column


def test_long_table_has_percent_of_peak():
    text = report.long_table(_results(), ENV["gpu"])
    assert "86.8" in text  # 1718 / 1978.9


def test_plot_writes_a_png(tmp_path):
    report.plot(_results(), ENV, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
