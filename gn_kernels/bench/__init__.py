"""Benchmark harness shared by benchmark_mm.py and benchmark_sol.py: peaks, shapes, cases, timing, reports."""
