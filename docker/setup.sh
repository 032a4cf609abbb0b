#!/usr/bin/env bash
# Sets up everything GraphEnas needs on a Debian/Ubuntu machine that has Go:
#   a C compiler and the C library headers (cgo: go-xla, GoMLX's PJRT binding, is built with it),
#   Jupyter from the distribution (jupyter-client for `jupyter kernelspec`, the notebook server,
#   nbconvert, nbclient), the Fashion-MNIST package, Chromium (the tests render the HTML report in
#   it), goimports and gopls (GoNB needs both), the GoNB binary at the version pinned in go.mod,
#   and the "gonb" Jupyter kernel, whose environment sets GOEXPERIMENT=simd so that notebook cells
#   build the Go back-end's SIMD matrix kernels.
# docker/setup_test.go checks that every program and Python module the project runs comes from
# a package of the list below or from its dependencies.
# It is idempotent: on a machine already set up it checks each step and changes nothing.
# It is also what the container recipe (docker/Dockerfile) runs.
#
# Options (environment):
#   GRAPHENAS_SETUP_TORCH=1   also install Debian's PyTorch, for the side-by-side CPU benchmark.
#   GRAPHENAS_SETUP_CHROMIUM=0  leave out Chromium (the browser check of the report then skips).
#   GRAPHENAS_SETUP_STEPS=packages  only install the Debian packages (the container recipe does this
#                             as root, then runs the whole script as its unprivileged user).
set -euo pipefail
# The Go back-end's AVX2/AVX-512 matmul kernels are only built with Go's SIMD experiment.
export GOEXPERIMENT=simd

GOIMPORTS_VERSION=v0.45.0 # golang.org/x/tools; builds with Go 1.26
GOPLS_VERSION=v0.21.1     # the newest gopls that builds with Go 1.26

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
step() { printf '\033[1m==> %s\033[0m\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
die() { printf 'setup: FAILED: %s\n' "$*" >&2; exit 1; }

steps=${GRAPHENAS_SETUP_STEPS:-all}
case "$steps" in all|packages) ;; *) die "GRAPHENAS_SETUP_STEPS=$steps: want all or packages" ;; esac

# --- Go ------------------------------------------------------------------------------------------
if [ "$steps" = all ]; then
step "Go toolchain"
command -v go >/dev/null || die "Go is not installed; install Go $(sed -n 's/^go //p' "$repo/go.mod") or newer from the Go downloads page, and put it on PATH"
gobin=$(go env GOBIN); [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
ok "$(go version), tools go to $gobin"
fi

# --- Debian packages -----------------------------------------------------------------------------
packages=(gcc libc6-dev jupyter-client jupyter-notebook jupyter-nbconvert python3-nbconvert python3-nbclient python3-ipykernel dataset-fashion-mnist)
[ "${GRAPHENAS_SETUP_TORCH:-0}" = 1 ] && packages+=(python3-torch)
[ "${GRAPHENAS_SETUP_CHROMIUM:-1}" = 1 ] && packages+=(chromium)
step "Debian packages: ${packages[*]}"
command -v dpkg-query >/dev/null || die "this is not a Debian/Ubuntu system (no dpkg-query); install Jupyter (notebook, nbconvert, nbclient) and put the Fashion-MNIST IDX files in \$GRAPHENAS_DATA by hand"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  ok "all installed"
else
  if [ "$(id -u)" -eq 0 ]; then sudo=""
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo"
  else die "packages ${missing[*]} are missing and installing them needs root: run 'sudo apt-get install ${missing[*]}' and re-run this script"
  fi
  echo "    installing ${missing[*]}"
  $sudo apt-get update -q >/dev/null || die "apt-get update failed; check the network and /etc/apt/sources.list"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/graphenas-apt.log 2>&1 \
    || die "apt-get install ${missing[*]} failed; see /tmp/graphenas-apt.log"
  ok "installed ${missing[*]}"
fi
if [ "$steps" = packages ]; then
  echo "setup: packages done"
  exit 0
fi
jupyter=/usr/bin/jupyter
[ -x "$jupyter" ] || jupyter=$(command -v jupyter) || die "jupyter not found after installing jupyter-notebook"

# --- Go tools ------------------------------------------------------------------------------------
# go_tool NAME PACKAGE@VERSION: installs NAME unless the installed binary already has that version.
go_tool() {
  local name=$1 pkgver=$2 want=${2##*@} have=""
  if [ -x "$gobin/$name" ]; then
    have=$(go version -m "$gobin/$name" 2>/dev/null | awk '$1=="mod"{print $3; exit}')
  fi
  if [ "$have" = "$want" ]; then ok "$name $have"; return; fi
  echo "    building $pkgver (have: ${have:-none})"
  (cd /tmp && go install "$pkgver") || die "go install $pkgver failed; check that the Go module proxy is reachable"
  ok "$name $want"
}
step "Go tools GoNB needs"
go_tool goimports "golang.org/x/tools/cmd/goimports@$GOIMPORTS_VERSION"
go_tool gopls "golang.org/x/tools/gopls@$GOPLS_VERSION"

step "GoNB (the version pinned in go.mod)"
gonb_want=$(cd "$repo" && go list -m -f '{{.Version}}' github.com/janpfeifer/gonb) || die "go.mod does not pin github.com/janpfeifer/gonb"
gonb_have=""
[ -x "$gobin/gonb" ] && gonb_have=$(go version -m "$gobin/gonb" 2>/dev/null | awk '$1=="mod"{print $3; exit}')
if [ "$gonb_have" = "$gonb_want" ]; then
  ok "gonb $gonb_have"
else
  echo "    building gonb $gonb_want from the module (have: ${gonb_have:-none})"
  (cd "$repo" && go install github.com/janpfeifer/gonb) || die "building GoNB from go.mod failed"
  ok "gonb $gonb_want"
fi

# --- Jupyter kernel ------------------------------------------------------------------------------
step "Jupyter kernel 'gonb'"
datadir=$("$jupyter" --data-dir)
kernel_json="$datadir/kernels/gonb/kernel.json"
want_path="$gobin:$(dirname "$(command -v go)"):/usr/local/bin:/usr/bin:/bin"
kernel_ok() {
  [ -f "$kernel_json" ] && /usr/bin/python3 - "$kernel_json" "$gobin/gonb" "$want_path" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))
env = k.get("env", {})
sys.exit(0 if k["argv"][0] == sys.argv[2] and env.get("PATH") == sys.argv[3] and env.get("GOEXPERIMENT") == "simd" else 1)
PY
}
if kernel_ok; then
  ok "registered in $kernel_json"
else
  JUPYTER_DATA_DIR="$datadir" "$gobin/gonb" --install >/tmp/graphenas-gonb-install.log 2>&1 \
    || die "gonb --install failed; see /tmp/graphenas-gonb-install.log"
  # The kernel runs go, goimports and gopls: give it a PATH that has them, whatever PATH
  # Jupyter is later started with, and the SIMD experiment for the cells it builds.
  /usr/bin/python3 - "$kernel_json" "$want_path" <<'PY'
import json, sys
k = json.load(open(sys.argv[1]))
env = k.setdefault("env", {})
env["PATH"] = sys.argv[2]
env["GOEXPERIMENT"] = "simd"
json.dump(k, open(sys.argv[1], "w"), indent=1)
PY
  kernel_ok || die "kernel.json at $kernel_json is not as expected after gonb --install"
  ok "registered in $kernel_json"
fi
# (Read the whole list first: grep -q stopping early would break jupyter's pipe under pipefail.)
kernels=$("$jupyter" kernelspec list 2>/dev/null) || die "jupyter kernelspec list failed"
grep -q '^ *gonb ' <<<"$kernels" || die "jupyter kernelspec list does not show gonb"

# --- Data ----------------------------------------------------------------------------------------
step "Data"
(cd "$repo" && go run ./graphenas/cmd/graphenas env --no-start | sed -n '/^data sets:/,/^versions/p' | sed '$d')
step "SIMD"
simd=$(cd "$repo" && go run ./graphenas/cmd/graphenas env --no-start --json | /usr/bin/python3 -c 'import json,sys; s=json.load(sys.stdin)["simd"]; print(s["kernel"] if s["built"] else "")')
[ -n "$simd" ] || die "the Go back-end was built without its SIMD kernels although GOEXPERIMENT=simd is set"
ok "Go back-end matmul kernels: $simd"
echo "setup: done"
