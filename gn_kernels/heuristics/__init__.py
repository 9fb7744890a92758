"""Shape heuristics: which kernel configuration serves which GEMM shape, one table per family."""
