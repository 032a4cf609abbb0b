#!/usr/bin/env bash
# GraphEnas on a machine with an NVIDIA GPU but no Go and no internet: build here, run there.
#
# Here (with Go):
#   bash docker/gpu-check.sh build
#       → docker/gpu-check/: supergraph.test (the check), graphenas (the command line), the PyTorch
#         twin, and a copy of Fashion-MNIST (fashion-mnist/, from the places graphenas looks).
# There:
#   bash docker/gpu-check.sh run                   the check, in under 8 minutes
#   bash docker/gpu-check.sh exec CMD [ARGS...]    any command on the GPU (see "exec")
#   bash docker/gpu-check.sh compare DIR SECONDS [COMPARE FLAGS...]
#       retrains (or searches) a comparison on the GPU for at most SECONDS (see "compare")
#
# "run" finds a PJRT CUDA plugin (go-xla's and gopjrt's folders, $PJRT_PLUGIN_LIBRARY_PATH, or a
# Python installation's jax_plugins/xla_cuda*/xla_cuda_plugin.so, loaded by absolute path), puts the
# CUDA libraries beside it (nvidia/*/lib) on LD_LIBRARY_PATH, and runs TestGPUCheck: the plugin and
# its PJRT API version, one tiny computation, the child network's losses against the Go back-end on
# the same seed and batches (within 1%), training images/s, and the first-batch (compilation) cost
# of new architectures. If PyTorch with CUDA is importable it then runs the same network in PyTorch
# on the same GPU. Everything it prints also goes to $OUT/gpu-check.log when $OUT is set.
#
# "exec" runs CMD with the same environment and with the XLA back-end forced onto the CUDA plugin
# ($GOMLX_BACKEND=xla:<plugin>, so a plugin that fails to load is an error, never a silent run on
# the CPU), and with $GRAPHENAS_DATA pointing at the copied data set when it is not set.
#
# "compare" copies the comparison directory DIR to $OUT (or /tmp when $OUT is unset), runs
#   graphenas compare --out <copy> --workers $GPU_WORKERS (default 10) [COMPARE FLAGS] (no --out: the copy is the output)
# on the GPU for at most SECONDS (every run writes its run.json when it finishes, and a retraining
# under way saves retrain-checkpoint.bin every minute, so little is lost at the limit), then writes
# the tables of what finished with the same flags and --read-only, on the CPU. Copy <copy> back over
# DIR to keep the result; the same command again continues what was cut. It exits with the
# comparison's status (124 at the time limit); stopping it (Ctrl-C, kill) stops the comparison.
# $GRAPHENAS_BIN replaces the built command line (the tests use a stand-in).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out="$here/gpu-check"

# cuda_env exports LD_LIBRARY_PATH (the CUDA libraries of every Python installation holding a PJRT
# CUDA plugin) and PYTHONPATH (their site-packages, where graphenas/backend also looks), and sets
# cuda_plugin to the first such plugin found ("" when none).
cuda_env() {
  cuda_plugin=""
  local py=""
  for p in python3 /usr/bin/python3 /usr/local/bin/python3; do command -v "$p" >/dev/null && py=$p && break; done
  [ -n "$py" ] || return 0
  local found
  found=$("$py" - <<'PY' 2>/dev/null || true
import glob, os, site, sys
roots = set(site.getsitepackages() + [site.getusersitepackages()] + sys.path)
dirs, plugins = [], []
for r in sorted(roots):
    p = sorted(glob.glob(os.path.join(r, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so")))
    if p:
        plugins += p
        dirs += sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib")))
print(":".join(dirs))
print(plugins[0] if plugins else "")
PY
)
  local libs
  libs=$(sed -n 1p <<<"$found")
  cuda_plugin=$(sed -n 2p <<<"$found")
  [ -n "$libs" ] && export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  PYTHONPATH="$("$py" -c 'import site; print(":".join(site.getsitepackages()))' 2>/dev/null || true)${PYTHONPATH:+:$PYTHONPATH}"
  export PYTHONPATH
}

# gpu_env is cuda_env plus the forced back-end and the copied data set, for "exec" and "compare".
gpu_env() {
  cuda_env
  if [ -z "${GOMLX_BACKEND:-}" ]; then
    [ -n "$cuda_plugin" ] || { echo "gpu-check: no PJRT CUDA plugin found (jax_plugins/xla_cuda*/xla_cuda_plugin.so); set GOMLX_BACKEND=xla:/path/to/plugin.so" >&2; exit 1; }
    export GOMLX_BACKEND="xla:$cuda_plugin"
  fi
  [ -z "${GRAPHENAS_DATA:-}" ] && [ -d "$out/fashion-mnist" ] && export GRAPHENAS_DATA="$out"
  return 0
}

case "${1:-run}" in
build)
  mkdir -p "$out"
  (cd "$here/.." && GOEXPERIMENT=simd go test -c -ldflags='-s -w' -o "$out/supergraph.test" ./graphenas/supergraph)
  (cd "$here/.." && GOEXPERIMENT=simd go build -ldflags='-s -w' -o "$out/graphenas" ./graphenas/cmd/graphenas)
  cp "$here/../graphenas/cmd/graphenas/child_torch.py" "$out/"
  data=""
  for d in ${GRAPHENAS_DATA:+"$GRAPHENAS_DATA" "$GRAPHENAS_DATA/fashion-mnist"} /usr/share/datasets/fashion-mnist "$HOME/.cache/graphenas/fashion-mnist"; do
    [ -f "$d/train-images-idx3-ubyte.gz" ] && data=$d && break
  done
  if [ -n "$data" ]; then
    mkdir -p "$out/fashion-mnist" && cp "$data"/*-ubyte.gz "$out/fashion-mnist/"
  else
    echo "gpu-check: Fashion-MNIST not found here (sudo apt-get install dataset-fashion-mnist); 'compare' will need it there" >&2
  fi
  du -sh "$out"/* | sed 's/^/  /'
  echo "built $out: copy docker/ to the GPU machine and run: bash docker/gpu-check.sh run"
  ;;
run)
  [ -x "$out/supergraph.test" ] || { echo "gpu-check: no $out/supergraph.test; run 'bash docker/gpu-check.sh build' where Go is" >&2; exit 1; }
  log=/dev/null
  [ -n "${OUT:-}" ] && log="$OUT/gpu-check.log"
  {
    date -u
    command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "gpu-check: nvidia-smi not found"
    cuda_env
    GRAPHENAS_GPU_CHECK=1 timeout 330 "$out/supergraph.test" -test.run '^TestGPUCheck$' -test.v -test.timeout 320s || echo "gpu-check: TestGPUCheck failed (exit $?)"
    py=$(command -v python3 || true)
    if [ -n "$py" ] && "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
      echo "PyTorch on the same GPU:"
      timeout 100 "$py" "$out/child_torch.py" --device cuda --seconds 40 --no-ops || echo "gpu-check: PyTorch run failed"
    else
      echo "gpu-check: PyTorch with CUDA is not importable here; no PyTorch baseline on this GPU"
    fi
  } 2>&1 | tee "$log"
  ;;
exec)
  shift
  [ $# -gt 0 ] || { echo "usage: bash docker/gpu-check.sh exec CMD [ARGS...]" >&2; exit 2; }
  gpu_env
  exec "$@"
  ;;
compare)
  shift
  [ $# -ge 2 ] || { echo "usage: bash docker/gpu-check.sh compare DIR SECONDS [COMPARE FLAGS...]" >&2; exit 2; }
  dir=$1 seconds=$2
  shift 2
  # A time limit is a positive number of seconds: timeout(1) takes 0 and "inf" as no limit at all,
  # and fails on the rest before anything runs.
  if ! [[ "$seconds" =~ ^[0-9]+([.][0-9]+)?$ ]] || ! awk -v s="$seconds" 'BEGIN { exit !(s > 0) }'; then
    echo "gpu-check: SECONDS must be a positive number of seconds, not '$seconds'" >&2; exit 2
  fi
  [ -d "$dir" ] || { echo "gpu-check: no comparison directory $dir" >&2; exit 1; }
  bin=${GRAPHENAS_BIN:-$out/graphenas}
  [ -x "$bin" ] || { echo "gpu-check: no $bin; run 'bash docker/gpu-check.sh build' where Go is" >&2; exit 1; }
  dest="${OUT:-/tmp}/$(basename "$dir")"
  # The copy replaces whatever is at dest: never the comparison itself, nor a folder holding it or
  # inside it.
  src_abs=$(cd "$dir" && pwd -P)
  dest_abs=$(realpath -m "$dest")
  case "$dest_abs/" in
  "$src_abs/"|"$src_abs/"*) echo "gpu-check: the copy would go to $dest, which is $dir or inside it; set OUT to another folder" >&2; exit 1 ;;
  esac
  case "$src_abs/" in
  "$dest_abs/"*) echo "gpu-check: the copy would replace $dest, which holds $dir; set OUT to another folder" >&2; exit 1 ;;
  esac
  rm -rf "$dest" && cp -r "$dir" "$dest"
  log="$dest/gpu-compare.log"
  exec > >(tee "$log") 2>&1
  date -u
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "gpu-check: nvidia-smi not found"
  gpu_env
  "$bin" env || true
  # timeout runs the comparison in a process group of its own, which a signal to this script does
  # not reach: the script passes INT, TERM and HUP on (timeout sends them to the comparison), so
  # that stopping the script stops the comparison too.
  timeout --signal=INT --kill-after=20 "$seconds" "$bin" compare --out "$dest" --workers "${GPU_WORKERS:-10}" "$@" &
  child=$!
  trap 'kill -INT $child 2>/dev/null' INT
  trap 'kill -TERM $child 2>/dev/null' TERM HUP
  rc=0
  wait "$child" || rc=$?
  while kill -0 "$child" 2>/dev/null; do wait "$child" || rc=$?; done # a trapped signal ends wait early
  trap - INT TERM HUP
  case $rc in
  0) how="finished" ;;
  124) how="time limit of $seconds s reached; what finished is kept, the retrainings under way continue from their checkpoints when run again" ;;
  *) how="failed or stopped: see the lines above" ;;
  esac
  echo "gpu-check: compare on the GPU ended with exit status $rc ($how)"
  # The tables of whatever finished, at the asked budget, without the GPU.
  GOMLX_BACKEND=go GRAPHENAS_DATA="${GRAPHENAS_DATA:-$out}" "$bin" compare --out "$dest" --read-only --quiet "$@" || echo "gpu-check: reading back failed"
  date -u
  echo "gpu-check: the comparison is in $dest (copy it back over $dir)"
  exit "$rc"
  ;;
*)
  echo "usage: bash docker/gpu-check.sh build|run|exec CMD...|compare DIR SECONDS [FLAGS...]" >&2
  exit 2
  ;;
esac
