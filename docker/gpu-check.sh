#!/usr/bin/env bash
# GPU check of GraphEnas on a machine with an NVIDIA GPU but no Go and no internet.
#
# Here (with Go):   bash docker/gpu-check.sh build   → docker/gpu-check/ (a test binary and the PyTorch twin)
# There:            bash docker/gpu-check.sh run     → the report, in under 8 minutes
#
# "build" runs, from the repository root:
#   GOEXPERIMENT=simd go test -c -o docker/gpu-check/supergraph.test ./graphenas/supergraph
# "run" finds a PJRT CUDA plugin (go-xla's and gopjrt's folders, $PJRT_PLUGIN_LIBRARY_PATH, or a
# Python installation's jax_plugins/xla_cuda*/xla_cuda_plugin.so, loaded by absolute path), puts the
# CUDA libraries beside it (nvidia/*/lib) on LD_LIBRARY_PATH, and runs TestGPUCheck: the plugin and
# its PJRT API version, one tiny computation, the child network's losses against the Go back-end on
# the same seed and batches (within 1%), training images/s, and the first-batch (compilation) cost
# of new architectures. If PyTorch with CUDA is importable it then runs the same network in PyTorch
# on the same GPU. Everything it prints also goes to $OUT/gpu-check.log when $OUT is set.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/gpu-check"

case "${1:-run}" in
build)
  mkdir -p "$out"
  (cd "$here/.." && GOEXPERIMENT=simd go test -c -o "$out/supergraph.test" ./graphenas/supergraph)
  cp "$here/../graphenas/cmd/graphenas/child_torch.py" "$out/"
  echo "built $out: copy docker/ to the GPU machine and run: bash docker/gpu-check.sh run"
  ;;
run)
  [ -x "$out/supergraph.test" ] || { echo "gpu-check: no $out/supergraph.test; run 'bash docker/gpu-check.sh build' where Go is" >&2; exit 1; }
  log=/dev/null
  [ -n "${OUT:-}" ] && log="$OUT/gpu-check.log"
  {
    date -u
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "gpu-check: nvidia-smi not found"
    py=""
    for p in python3 /usr/bin/python3 /usr/local/bin/python3; do command -v "$p" >/dev/null && py=$p && break; done
    if [ -n "$py" ]; then
      # The CUDA libraries of every Python installation holding the plugin.
      libs=$("$py" - <<'PY' 2>/dev/null || true
import glob, os, site, sys
roots = set(site.getsitepackages() + [site.getusersitepackages()] + sys.path)
dirs = []
for r in roots:
    if glob.glob(os.path.join(r, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so")):
        dirs += sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib")))
print(":".join(dirs))
PY
)
      [ -n "$libs" ] && export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      # Python installations outside the standard places: tell graphenas/backend where to look.
      PYTHONPATH="$("$py" -c 'import site; print(":".join(site.getsitepackages()))' 2>/dev/null || true)${PYTHONPATH:+:$PYTHONPATH}"
      export PYTHONPATH
    fi
    GRAPHENAS_GPU_CHECK=1 timeout 330 "$out/supergraph.test" -test.run '^TestGPUCheck$' -test.v -test.timeout 320s || echo "gpu-check: TestGPUCheck failed (exit $?)"
    if [ -n "$py" ] && "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
      echo "PyTorch on the same GPU:"
      timeout 100 "$py" "$out/child_torch.py" --device cuda --seconds 40 --no-ops || echo "gpu-check: PyTorch run failed"
    else
      echo "gpu-check: PyTorch with CUDA is not importable here; no PyTorch baseline on this GPU"
    fi
  } 2>&1 | tee "$log"
  ;;
*)
  echo "usage: bash docker/gpu-check.sh build|run" >&2
  exit 2
  ;;
esac
