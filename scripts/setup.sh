#!/usr/bin/env bash
# Installs what softvit needs and is missing, and nothing else. Safe to re-run.
#   - Debian packages (compiler tools, OpenCV, yaml-cpp, spdlog, Catch2, gloo's headers, Fashion-MNIST, ...)
#   - LibTorch from the torch==2.11.0 PyPI wheel, in a virtual environment outside the checkout
#     (SOFTVIT_VENV, default ~/.cache/softvit/venv); reused on later runs. Where python3 already
#     has torch 2.11 (the GPU machine) that one is used.
#   - timm and safetensors in that virtual environment, for the test that checks softvit's ViT
#     against timm's (scripts/make_timm_reference.py); pip runs only when one of them is missing.
# Prints nothing else on stdout but the final "torch prefix" line, so callers can capture it.
set -euo pipefail

TORCH_VERSION=2.11.0
SOFTVIT_VENV=${SOFTVIT_VENV:-$HOME/.cache/softvit/venv}

log() { echo "[setup] $*" >&2; }

debian_packages=(
  build-essential cmake ninja-build ccache pkg-config
  libopencv-dev libyaml-cpp-dev libspdlog-dev libfmt-dev catch2
  libcli11-dev nlohmann-json3-dev libzip-dev libjpeg-dev zlib1g-dev libgloo-dev libarchive-dev
  dataset-fashion-mnist python3-venv
)

install_debian_packages() {
  command -v dpkg-query >/dev/null || { log "not a Debian system: install the packages yourself: ${debian_packages[*]}"; return; }
  local missing=()
  for p in "${debian_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then log "Debian packages: all present"; return; fi
  log "installing Debian packages: ${missing[*]}"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

torch_prefix_of() { # $1: python executable; prints the cmake prefix if torch==TORCH_VERSION is there
  "$1" - <<PY 2>/dev/null
import torch, torch.utils
if torch.__version__.split('+')[0] == "$TORCH_VERSION":
    print(torch.utils.cmake_prefix_path)
PY
}

# timm and safetensors for the reference test, pinned to the venv's torch so that pip never swaps it.
# Not fatal: without them that test warns and skips.
install_reference_packages() { # $1: the venv's python
  # find_spec looks the modules up without importing them (importing timm takes seconds).
  if "$1" -c "import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in ('timm', 'safetensors')))" 2>/dev/null; then
    log "timm and safetensors: present"
    return
  fi
  log "installing timm and safetensors into $SOFTVIT_VENV"
  local constraints
  constraints=$(mktemp)
  echo "torch==$TORCH_VERSION" >"$constraints"
  "$1" -m pip install -q -c "$constraints" timm safetensors >&2 ||
    log "could not install timm and safetensors: the timm reference test will be skipped"
  rm -f "$constraints"
}

install_torch() {
  local prefix
  prefix=$(torch_prefix_of python3 || true)
  if [ -n "$prefix" ]; then log "using the system python's torch $TORCH_VERSION"; echo "$prefix"; return; fi
  if [ -x "$SOFTVIT_VENV/bin/python" ]; then
    prefix=$(torch_prefix_of "$SOFTVIT_VENV/bin/python" || true)
    if [ -n "$prefix" ]; then
      log "reusing torch $TORCH_VERSION in $SOFTVIT_VENV"
      install_reference_packages "$SOFTVIT_VENV/bin/python"
      echo "$prefix"
      return
    fi
  fi
  log "installing torch==$TORCH_VERSION into $SOFTVIT_VENV (a few GB, once per machine)"
  mkdir -p "$(dirname "$SOFTVIT_VENV")"
  python3 -m venv "$SOFTVIT_VENV" >&2
  "$SOFTVIT_VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$SOFTVIT_VENV/bin/python" -m pip install -q "torch==$TORCH_VERSION" numpy >&2
  prefix=$(torch_prefix_of "$SOFTVIT_VENV/bin/python")
  [ -n "$prefix" ] || { log "torch $TORCH_VERSION did not install"; exit 1; }
  install_reference_packages "$SOFTVIT_VENV/bin/python"
  echo "$prefix"
}

install_debian_packages
TORCH_PREFIX=$(install_torch)
echo "$TORCH_PREFIX"
