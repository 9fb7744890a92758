#!/usr/bin/env bash
# Install what the tests need, build the extensions (every family that runs on the
# GPUs present, all of them without a GPU; GN_KERNELS_ARCHS overrides), then run
# the whole suite. GPU tests skip themselves where no GPU is visible.
set -euo pipefail
cd "$(dirname "$0")/.."
# Install only when something is missing, so that a machine without network whose
# packages are already there (or carried as wheels) gets through.
if ! python3 -c "import cutlass_library, ninja, pybind11, pytest, numpy, tabulate, matplotlib, tqdm" 2>/dev/null; then
  python3 -m pip install -q -r requirements.txt
fi
export MAX_JOBS=${MAX_JOBS:-$(nproc)}
log=${GN_KERNELS_BUILD_LOG:-build.log}
if ! python3 -m pip install --no-build-isolation --no-deps -v -e . >"$log" 2>&1; then
  tail -n 60 "$log"
  echo "build failed; full log in $log" >&2
  exit 1
fi
grep 'gn_kernels: ' "$log" || true
# ptxas C7510-C7519: WGMMAs serialized (or waits injected) by the compiler, a performance bug rather than noise.
if grep -nE 'C751[0-9]' "$log"; then
  echo "ptxas reported serialized WGMMA (C751x): fix the kernel before merging" >&2
  exit 1
fi
python3 -m pytest -q "$@"
