#!/usr/bin/env bash
# On a GPU machine (the device tool's H100): install carried wheels, build with all
# cores, run the whole suite and the benchmarks, and leave logs and results in $OUT.
#   bash scripts/gpu_check.sh [test|bench|all|tune-quant|tune-gemm|tune-triton] [pytest args]   (default: all)
# On the H100 the build takes about 4.5 minutes and the whole suite about 6: more than one 10-minute
# device call holds, so run the suite in parts there (e.g. --deselect tests/test_triton_gemm.py, then
# that file alone with PYTHONPATH=. and no build).
# "bench" alone reuses extensions already built in gn_kernels/; "tune-quant", "tune-gemm" and
# "tune-triton" (each after the tests) sweep the launch tables of the quantizers, the SM90a GEMMs'
# tile tables or the Triton GEMMs' launch tables.
set -uo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
shift || true  # what follows the mode goes to pytest, e.g. --deselect tests/test_triton_gemm.py
OUT=${OUT:-$PWD/gpu_check_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 MAX_JOBS=${MAX_JOBS:-$(nproc)}
# Machines without network get packages from wheels carried in .whl/.
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-cache-dir .whl/*.whl || exit 1
fi
# $OUT comes back as at most 8 files: keep to one log, the build log and the results.
log="$OUT/log.txt"
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.draw,temperature.gpu --format=csv | tee "$log"
status=0
if [ "$what" != bench ]; then
  GN_KERNELS_BUILD_LOG="$OUT/build.log" bash scripts/test.sh -rs "$@" 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
python3 -m gn_kernels | tee -a "$log"
if [ "$what" = tune-quant ]; then
  python3 scripts/tune_quant.py --json "$OUT/tune_quant.json" | tee -a "$log" || status=1
  python3 benchmark_quant.py | tee -a "$log" || status=1
elif [ "$what" = tune-gemm ]; then
  python3 scripts/tune_sm90a_gemm.py --swizzles 1,4 --max-m 4096 --json "$OUT/tune_sm90a.json" | tee -a "$log" || status=1
elif [ "$what" = tune-triton ]; then
  python3 scripts/tune_triton_gemm.py --json "$OUT/tune_triton.json" | tee -a "$log" || status=1
elif [ "$what" != test ]; then
  slug=$(python3 -c "import torch; from gn_kernels.bench.peaks import gpu_key; \
print((gpu_key(torch.cuda.get_device_name()) or torch.cuda.get_device_name()).lower().replace(' ', '_'))")
  python3 benchmark_mm.py --shapes squares,llama3-8b,llama3-70b --json "$OUT/$slug.json" --plot "$OUT/$slug.png" \
    || status=1
  python3 benchmark_sol.py --json "$OUT/${slug}_sol.json" | tee -a "$log" || status=1
  python3 benchmark_quant.py --json "$OUT/${slug}_quant.json" || status=1
  python3 benchmark_attn.py --json "$OUT/${slug}_attn.json" | tee -a "$log" || status=1
fi
exit $status
