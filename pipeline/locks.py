"""An exclusive lock on a folder, held through a lock file (``fcntl.flock``).

Two processes that write the same folder (two ``import-annotations`` into one
gold folder, two ``train`` runs updating one ``MANIFEST.json``) take the lock
first, so their read-check-write steps never interleave.  The lock file holds
the holder's pid, so a process that gives up can say who holds it.  It is
removed on release; a process that was waiting on a removed file notices (the
path no longer names the file it locked) and tries again, so a removed lock
file is never held by two processes.  A process killed while holding the lock
releases it with its file descriptors (the kernel drops ``flock`` locks).
"""
from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import ObligationsError

__all__ = ["folder_lock", "holder_pid"]

_POLL = 0.05


def holder_pid(lock_path: Path) -> int | None:
    """The pid written in a lock file by its holder, or ``None`` if none can be read.

    Args:
        lock_path: the lock file.
    """
    try:
        text = Path(lock_path).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _try_lock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EACCES, errno.EAGAIN):
            return False
        raise


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_ino, st.st_dev) == (own.st_ino, own.st_dev)


@contextlib.contextmanager
def folder_lock(lock_path: Path, *, timeout: float,
                error: Callable[[str, int | None], ObligationsError]) -> Iterator[Path]:
    """Hold an exclusive lock on ``lock_path`` for the ``with`` block.

    Args:
        lock_path: the lock file (created if absent, removed on release).
        timeout: seconds to wait for another holder before giving up.
        error: builds the exception raised on timeout from the lock file's
            path (as text) and the holder's pid (``None`` if unknown).

    Raises:
        ObligationsError: whatever ``error`` builds, when the lock stays held
            by another process for ``timeout`` seconds.
    """
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    give_up = time.monotonic() + max(0.0, timeout)
    while True:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        locked = False
        try:
            while not _try_lock(fd):
                if time.monotonic() >= give_up:
                    raise error(str(lock_path), holder_pid(lock_path))
                time.sleep(_POLL)
            locked = True
            if not _same_file(fd, lock_path):
                continue  # the previous holder removed the file after we opened it: start again
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            try:
                yield lock_path
            finally:
                with contextlib.suppress(FileNotFoundError):
                    if _same_file(fd, lock_path):
                        os.unlink(lock_path)
            return
        finally:
            if locked:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
