"""Shape presets: squares and the Llama 3 projection GEMMs, as (M, N, K)."""

from __future__ import annotations

SQUARES = [1024, 2048, 4096, 8192, 16384]
# (N, K) of each projection: fused QKV, attention output, fused gate+up, down.
LLAMA3_8B = {"qkv_proj": (6144, 4096), "o_proj": (4096, 4096), "gate_up_proj": (28672, 4096), "down_proj": (4096, 14336)}
LLAMA3_70B = {"qkv_proj": (10240, 8192), "o_proj": (8192, 8192), "gate_up_proj": (57344, 8192), "down_proj": (8192, 28672)}
# Decode (1, 16), small and large prefill batches.
LLAMA_M = [1, 16, 64, 256, 1024, 4096, 16384]

PRESETS = {
    "squares": [(s, s, s) for s in SQUARES],
    "llama3-8b": [(m, n, k) for n, k in LLAMA3_8B.values() for m in LLAMA_M],
    "llama3-70b": [(m, n, k) for n, k in LLAMA3_70B.values() for m in LLAMA_M],
}


def parse_shapes(spec: str) -> list[tuple[int, int, int]]:
    """Comma-separated presets and MxNxK triples, e.g. 'squares,128x8192x8192'."""
    shapes: list[tuple[int, int, int]] = []
    for word in (w.strip() for w in spec.split(",")):
        if not word:
            continue
        if word in PRESETS:
            shapes.extend(PRESETS[word])
            continue
        parts = word.lower().split("x")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"--shapes: {word!r} is neither a preset ({', '.join(PRESETS)}) nor MxNxK")
        shapes.append(tuple(int(p) for p in parts))
    return list(dict.fromkeys(shapes))
