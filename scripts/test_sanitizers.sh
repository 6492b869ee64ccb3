#!/usr/bin/env bash
# CI's sanitizer step (issue 20: untrusted files cannot corrupt memory). Builds the torch-free
# parser libraries with clang under AddressSanitizer + UndefinedBehaviorSanitizer (plus libstdc++'s
# bounds assertions) in ${SANITIZER_BUILD_DIR:-build-sanitize} (-DSOFTVIT_PARSERS_ONLY=ON: no
# LibTorch, which would take hours to build this way), runs their tests (tests/parsers, the config
# tests, the replay of every corpus file), then runs each libFuzzer target (tests/fuzz) for
# ${FUZZ_SECONDS:-60} s from its corpus. Fails on any test failure, crash, sanitizer report, leak,
# timeout or out-of-memory; the input that caused it is left in the build dir's fuzz-artifacts/.
# Installs clang and the few Debian packages it needs when they are missing; uses ccache.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${SANITIZER_BUILD_DIR:-build-sanitize}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
log() { echo "[sanitizers] $*" >&2; }

packages=(clang cmake ninja-build ccache libyaml-cpp-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  zlib1g-dev libzip-dev libarchive-dev pkg-config catch2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

start=$(date +%s)
# -fsanitize=fuzzer-no-link: the libraries carry libFuzzer's coverage hooks; the fuzz binaries add
# the fuzzer itself. -O1 keeps ASan's reports exact and the build quick.
flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
flags+=" -fsanitize=fuzzer-no-link -D_GLIBCXX_ASSERTIONS"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
log "configuring $BUILD_DIR (clang, ASan + UBSan, parsers only)"
cmake -S . -B "$BUILD_DIR" "${generator[@]}" -DSOFTVIT_PARSERS_ONLY=ON -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
log "built in $(($(date +%s) - start)) s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$BUILD_DIR" --output-on-failure -j"$(nproc)"
log "tests passed after $(($(date +%s) - start)) s"

# Each target from a scratch copy of its corpus (what the fuzzer adds stays out of the checkout).
# -max_len: the corpus holds a few large regression files; mutating 240 kB inputs would slow
# every target down for no new coverage. -rss_limit_mb: a parser that allocates what a header
# claims fails here.
run_target() {
  local target=$1 work="$BUILD_DIR/fuzz-corpus/$1" artifacts="$BUILD_DIR/fuzz-artifacts/$1/"
  rm -rf "$work" && mkdir -p "$work" "$artifacts"
  cp tests/fuzz/corpus/"$target"/* "$work"/
  if "$BUILD_DIR/tests/fuzz/fuzz_$target" -max_total_time="$FUZZ_SECONDS" -max_len=16384 -timeout=10 \
    -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$artifacts" "$work" \
    >"$BUILD_DIR/fuzz-$target.log" 2>&1; then
    echo "[sanitizers] fuzz_$target: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
      "$BUILD_DIR/fuzz-$target.log" | grep -o '[0-9]*$') runs in ${FUZZ_SECONDS} s, no crash" >&2
  else
    echo "[sanitizers] fuzz_$target FAILED; its log ($BUILD_DIR/fuzz-$target.log) ends:" >&2
    tail -n 60 "$BUILD_DIR/fuzz-$target.log" >&2
    return 1
  fi
}
export -f run_target
export BUILD_DIR FUZZ_SECONDS
targets=(safetensors npy npz idx jpeg_header csv config webdataset)
log "fuzzing ${#targets[*]} targets for ${FUZZ_SECONDS} s each, ${FUZZ_JOBS} at a time"
printf '%s\n' "${targets[@]}" | xargs -P "$FUZZ_JOBS" -I{} bash -c 'run_target {}'
log "done in $(($(date +%s) - start)) s"
