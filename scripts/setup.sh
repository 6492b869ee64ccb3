#!/usr/bin/env bash
# Installs what softvit needs and is missing, and nothing else. Safe to re-run.
#   - Debian packages (compiler tools, OpenCV, yaml-cpp, spdlog, Catch2, gloo's headers, Fashion-MNIST, ...)
#   - LibTorch from the torch==2.11.0 PyPI wheel, in a virtual environment outside the checkout
#     (SOFTVIT_VENV, default ~/.cache/softvit/venv); reused on later runs. Where python3 already
#     has torch 2.11 (the GPU machine) that one is used.
#     Which build: where a CUDA toolkit is found (a working nvcc), the whole wheel with its NVIDIA
#     libraries (GPU training). Where none is, only what a CPU build links: torch without its
#     dependencies, plus the CUDA runtime and CUPTI libraries libtorch_cpu loads (5 MB), not the
#     several GB of cuDNN, cuBLAS, NCCL and Triton. SOFTVIT_TORCH=cpu|cuda overrides the choice.
#   - timm and safetensors in a full (CUDA) environment, for the tests that check softvit against
#     timm and torch.load (they skip where Python's torch cannot be imported, as in a CPU-only one).
#   - pydicom and the pylibjpeg plugins in either environment (numpy, no torch), for the DICOM
#     reference test (pydicom's wheel ships the files it compares).
# Prints nothing else on stdout but the final "torch prefix" line, so callers can capture it; what
# it does goes to stderr.
set -euo pipefail

TORCH_VERSION=2.11.0
# The CUDA runtime and CUPTI that torch 2.11.0's libtorch_cpu.so loads (its cuda-toolkit 13.0.2 pins).
CPU_RUNTIME_PACKAGES=("nvidia-cuda-runtime==13.0.96.*" "nvidia-cuda-cupti==13.0.85.*")
SOFTVIT_VENV=${SOFTVIT_VENV:-$HOME/.cache/softvit/venv}

log() { echo "[setup] $*" >&2; }

have_cuda_toolkit() { command -v nvcc >/dev/null 2>&1 && nvcc --version >/dev/null 2>&1; }
case "${SOFTVIT_TORCH:-auto}" in
  cpu | cuda) TORCH_VARIANT=$SOFTVIT_TORCH ;;
  auto) if have_cuda_toolkit; then TORCH_VARIANT=cuda; else TORCH_VARIANT=cpu; fi ;;
  *) log "SOFTVIT_TORCH is '$SOFTVIT_TORCH': expected auto, cpu or cuda"; exit 2 ;;
esac

debian_packages=(
  build-essential cmake ninja-build ccache pkg-config
  libopencv-dev libyaml-cpp-dev libspdlog-dev libfmt-dev catch2
  libcli11-dev nlohmann-json3-dev libzip-dev libjpeg-dev zlib1g-dev libgloo-dev libarchive-dev
  libgdcm-dev
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
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# $1: python executable. Prints torch's CMake prefix if torch==TORCH_VERSION is installed there, found
# without importing torch (a CPU-only install cannot be imported, and importing takes seconds).
torch_prefix_of() {
  "$1" - <<PY 2>/dev/null
import importlib.metadata as m, importlib.util as u, os
spec = u.find_spec("torch")
if spec and m.version("torch").split("+")[0] == "$TORCH_VERSION":
    print(os.path.join(spec.submodule_search_locations[0], "share", "cmake"))
PY
}

# Whether $1 (a python) has the NVIDIA libraries a CUDA build links (cuDNN stands for all of them).
has_cuda_libraries() { "$1" -c "import importlib.util as u, sys; sys.exit(not u.find_spec('nvidia.cudnn'))" 2>/dev/null; }

# Python packages some tests compare with, pinned to the venv's torch so that pip never swaps it.
# Not fatal: without them those tests warn and skip.
#   $1: the venv's python; $2: what they are for; $3: the modules that show they are there (looked
#   up with find_spec, without importing them: importing timm takes seconds); the rest: packages.
install_test_packages() {
  local py=$1 what=$2 modules=$3
  shift 3
  # shellcheck disable=SC2086  # $modules: one argument per module
  if "$py" -c "import importlib.util as u, sys; sys.exit(not all(u.find_spec(m) for m in sys.argv[1:]))" \
    $modules 2>/dev/null; then
    log "$what: present"
    return
  fi
  log "installing $what into $SOFTVIT_VENV"
  local constraints
  constraints=$(mktemp)
  echo "torch==$TORCH_VERSION" >"$constraints"
  "$py" -m pip install --progress-bar off -c "$constraints" "$@" >&2 ||
    log "could not install $what: the tests that need them will be skipped"
  rm -f "$constraints"
}

# timm and safetensors for the timm reference tests.
install_reference_packages() { # $1: the venv's python
  install_test_packages "$1" "timm and safetensors" "timm safetensors" timm safetensors
}

# pydicom 3 and the plugins it decodes compressed pixel data with (JPEG, JPEG-LS, JPEG 2000, RLE),
# for the DICOM reference test; they need numpy, not torch, so CPU-only environments get them too.
install_dicom_reference_packages() { # $1: the venv's python
  install_test_packages "$1" "pydicom and its pixel-data plugins" "pydicom numpy pylibjpeg libjpeg openjpeg rle" \
    pydicom pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pylibjpeg-rle
}

# nvJPEG's header and library beside torch, for the CUDA build's GPU JPEG decoder
# (cmake/Nvjpeg.cmake; the GPU machine's toolkit has them, Debian's CUDA toolkit here does not).
# 3.7 MB, pinned to the CUDA 13.0 of torch's wheel. Not fatal: without it that decoder is left out.
install_nvjpeg() { # $1: the venv's python
  local check="import importlib.util as u, os, sys; t = u.find_spec('torch')
sys.exit(not (t and os.path.exists(os.path.join(os.path.dirname(t.origin), '..', 'nvidia', 'cu13', 'include', 'nvjpeg.h'))))"
  if "$1" -c "$check" 2>/dev/null; then
    log "nvJPEG headers: present"
    return
  fi
  log "installing nvidia-nvjpeg into $SOFTVIT_VENV"
  "$1" -m pip install --progress-bar off --no-deps "nvidia-nvjpeg==13.0.4.44" >&2 ||
    log "could not install nvidia-nvjpeg: this build leaves the GPU JPEG decoder out"
}

# Installs torch into the venv ($1: its python) as TORCH_VARIANT asks, or completes an install that
# lacks what this variant needs (a CPU-only venv on a machine that has since gained a toolkit).
install_torch_into() {
  local py=$1
  "$py" -m pip install -q --upgrade pip >&2
  if [ "$TORCH_VARIANT" = cuda ]; then
    log "installing torch==$TORCH_VERSION with its NVIDIA libraries into $SOFTVIT_VENV (about 5 GB, once per machine)"
    "$py" -m pip install --progress-bar off "torch==$TORCH_VERSION" numpy >&2
    install_reference_packages "$py"
    install_nvjpeg "$py"
  else
    log "no CUDA toolkit: installing torch==$TORCH_VERSION for a CPU build into $SOFTVIT_VENV (the wheel without its NVIDIA dependencies, about 0.9 GB, once per machine)"
    "$py" -m pip install --progress-bar off --no-deps "torch==$TORCH_VERSION" "${CPU_RUNTIME_PACKAGES[@]}" >&2
  fi
}

install_torch() {
  local prefix
  prefix=$(torch_prefix_of python3 || true)
  if [ -n "$prefix" ]; then  # installed by whoever set up the machine (the GPU machine): used as it is
    log "using the system python's torch $TORCH_VERSION"
    echo "$prefix"
    return
  fi
  if [ ! -x "$SOFTVIT_VENV/bin/python" ]; then
    mkdir -p "$(dirname "$SOFTVIT_VENV")"
    python3 -m venv "$SOFTVIT_VENV" >&2
  fi
  local py=$SOFTVIT_VENV/bin/python
  prefix=$(torch_prefix_of "$py" || true)
  if [ -n "$prefix" ] && { [ "$TORCH_VARIANT" = cpu ] || has_cuda_libraries "$py"; }; then
    log "reusing torch $TORCH_VERSION in $SOFTVIT_VENV ($TORCH_VARIANT build)"
    [ "$TORCH_VARIANT" = cpu ] || install_reference_packages "$py"
    [ "$TORCH_VARIANT" = cpu ] || install_nvjpeg "$py"
  else
    install_torch_into "$py"
    prefix=$(torch_prefix_of "$py")
    [ -n "$prefix" ] || { log "torch $TORCH_VERSION did not install"; exit 1; }
  fi
  install_dicom_reference_packages "$py"
  echo "$prefix"
}

install_debian_packages
TORCH_PREFIX=$(install_torch)
echo "$TORCH_PREFIX"
