"""The sweep summary scores the heuristics' own pick at each shape, which may differ by shape."""

import math

from gn_kernels.bench.tuning import summarize

KERNEL = "cutlass_row_scaled_fp8_mm[fast_accum]"


def _best_row(text: str, M: int) -> list[str]:
    rows = [[cell.strip() for cell in line.strip("|").split("|")]
            for line in text.split("best per M")[1].splitlines() if line.startswith("|")]
    return next(row for row in rows if row[0] == str(M))


def test_picks_that_differ_by_shape_are_scored_each_at_its_own_shape():
    # a is fastest at N = 4096 (10 against 20 µs), b at N = 8192 (30 against 40): a's mean is
    # sqrt(1 * 30/40) = 0.866, b's sqrt(10/20 * 1) = 0.707; picking each where it is fastest scores 1.
    per_shape = {(512, 4096, 4096): ({"a": 10.0, "b": 20.0}, 9.0), (512, 8192, 8192): ({"a": 40.0, "b": 30.0}, 33.0)}
    text = summarize(KERNEL, per_shape, lambda M, N, K: "a" if N == 4096 else "b")
    M, best, best_score, picks, pick_score, vs_peer = _best_row(text, 512)
    assert (M, best, picks) == ("512", "a", "a + b")
    assert float(best_score) == round(math.sqrt(30 / 40), 3)
    assert float(pick_score) == 1.0
    assert float(vs_peer) == round(math.sqrt(9 / 10 * 33 / 40), 3)  # the peer against the best, a


def test_a_pick_that_was_not_timed_scores_nan():
    per_shape = {(64, 4096, 4096): ({"a": 10.0}, 9.0)}
    M, _, _, picks, pick_score, _ = _best_row(summarize(KERNEL, per_shape, lambda M, N, K: "z"), 64)
    assert picks == "z" and math.isnan(float(pick_score))
