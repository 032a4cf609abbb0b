#!/usr/bin/env bash
# GPU check of GraphEnas on a machine with an NVIDIA GPU but no Go and no internet.
#
# Here (with Go):   bash docker/gpu-check.sh build      → writes docker/gpu-check/ (test binary)
# There:            bash docker/gpu-check.sh run        → prints the report (under 5 minutes)
#
# "run" finds a PJRT CUDA plugin (gopjrt's folders, $PJRT_PLUGIN_LIBRARY_PATH, or a Python
# installation's jax_plugins/xla_cuda*/xla_cuda_plugin.so), puts the CUDA libraries beside it
# (nvidia/*/lib) on LD_LIBRARY_PATH, and runs TestGPUCheck: losses against simplego on the same
# seed and batches, training images/s, and the first-batch cost of new architectures. If PyTorch
# with CUDA is importable it also runs the same network in PyTorch on the same GPU.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/gpu-check"

case "${1:-run}" in
build)
  mkdir -p "$out"
  (cd "$here/.." && go test -c -o "$out/supergraph.test" ./graphenas/supergraph)
  cp "$here/../graphenas/bench/child_torch.py" "$out/"
  echo "built $out: copy docker/ to the GPU machine and run: bash docker/gpu-check.sh run"
  ;;
run)
  [ -x "$out/supergraph.test" ] || { echo "gpu-check: no $out/supergraph.test; run 'bash docker/gpu-check.sh build' where Go is" >&2; exit 1; }
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "gpu-check: nvidia-smi not found"
  # The CUDA libraries of every Python installation holding the plugin.
  py=""
  for p in python3 /usr/bin/python3 /usr/local/bin/python3; do command -v "$p" >/dev/null && py=$p && break; done
  if [ -n "$py" ]; then
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
    export PYTHONPATH="$("$py" -c 'import site; print(":".join(site.getsitepackages()))' 2>/dev/null || true)${PYTHONPATH:+:$PYTHONPATH}"
  fi
  GRAPHENAS_GPU_CHECK=1 timeout 240 "$out/supergraph.test" -test.run '^TestGPUCheck$' -test.v -test.timeout 4m
  if [ -n "$py" ] && "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "PyTorch on the same GPU:"
    timeout 90 "$py" "$out/child_torch.py" --device cuda --seconds 40 --no-ops
  else
    echo "gpu-check: PyTorch with CUDA is not importable here; no PyTorch baseline on this GPU"
  fi
  ;;
*)
  echo "usage: bash docker/gpu-check.sh build|run" >&2
  exit 2
  ;;
esac
