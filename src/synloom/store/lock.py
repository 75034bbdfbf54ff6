"""The writer lock of a run directory: one synloom command writes a run at a time.

An exclusive, non-blocking `flock` on `RUN_DIR/.synloom.lock`, held for the lifetime of a
writable `RunStore`. The holder writes its pid into the file for the "in use" message. The OS
drops the lock when the holder's process ends in any way (`kill -9` included), so a stale lock
file needs no cleanup; the file itself is left in place (deleting it would let two processes
lock two different inodes of the same path).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path

from synloom.errors import StoreError

LOCK_FILE = ".synloom.lock"
_PID_WAIT_S = 0.5


def _holder_pid(fd: int) -> str:
    """The holder's pid from the lock file, or "". The holder writes it just after taking the
    lock, so a loser that lost the race by microseconds may read an empty or half-written file:
    it looks again for up to half a second before giving up on the pid."""
    deadline = time.monotonic() + _PID_WAIT_S
    while True:
        try:
            pid = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        except OSError:
            return ""
        if pid.isdigit() or time.monotonic() >= deadline:
            return pid
        time.sleep(0.01)


def _in_use(run_dir: Path, fd: int) -> StoreError:
    pid = _holder_pid(fd)
    who = f"pid {pid}" if pid.isdigit() else "another process"
    return StoreError(
        f"{run_dir} is in use by {who} (another synloom command); wait for it to finish"
        " or use another --out"
    )


class RunLock:
    """Take the writer lock of `run_dir` (which must exist) or raise StoreError at once."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        path = run_dir / LOCK_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot write to {run_dir}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            err = _in_use(run_dir, fd)
            os.close(fd)
            raise err from None
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock {path}: {exc.strerror or exc}") from None
        try:
            pid = f"{os.getpid()}\n".encode()
            os.pwrite(fd, pid, 0)
            os.ftruncate(fd, len(pid))
        except OSError:
            pass  # the pid is only for the message; the lock itself is held
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def check_not_locked(run_dir: Path) -> None:
    """Raise the "in use" StoreError if a writer holds `run_dir`'s lock. Creates nothing (a
    missing lock file means no writer); used to explain a store that looks empty or half
    written because its writer is creating it right now."""
    try:
        fd = os.open(run_dir / LOCK_FILE, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _in_use(run_dir, fd) from None
        except OSError:
            return
        fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
