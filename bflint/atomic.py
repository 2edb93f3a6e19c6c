"""Atomic file replacement, shared by ``--fix`` and the result cache."""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path


class FileChangedError(Exception):
    """The file changed between the read and the replace (issue 16 item 7)."""


@dataclasses.dataclass(frozen=True)
class FileState:
    """What a file was when it was read: compared just before the replace."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    digest: str

    @classmethod
    def of(cls, st: os.stat_result, data: bytes) -> "FileState":
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, hashlib.sha256(data).hexdigest())

    def matches(self, path: str | os.PathLike) -> bool:
        """The file at ``path`` is still this one (same inode, size, mtime
        and bytes)."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            return False
        try:
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != (self.dev, self.ino, self.size,
                                                                      self.mtime_ns):
                return False
            h = hashlib.sha256()
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                h.update(chunk)
            return h.hexdigest() == self.digest
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes, *, mode: int | None = None, fsync: bool = True,
                 expect: FileState | None = None) -> None:
    """Write ``data`` to a temporary file in ``path``'s directory, then
    rename it over ``path``: readers see the old or the new contents, never
    a mix. ``mode`` defaults to the existing file's (0o644 for a new one);
    the existing file's owner and group are kept where permitted (issue 16
    item 6: a user's file fixed by root stays the user's). With ``expect``,
    the file is re-checked just before the rename and FileChangedError is
    raised (nothing written) when it changed since it was read (item 7).
    On any failure the temporary file is removed and ``path`` is untouched."""
    import stat
    import tempfile

    target = Path(os.path.realpath(path))
    try:
        old = target.stat()
    except FileNotFoundError:
        old = None
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".bflint-tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if old is not None:
                _keep_owner(fh.fileno(), old)
            os.fchmod(fh.fileno(), mode)  # after the chown, which clears set-id bits
            if fsync:
                os.fsync(fh.fileno())
        if expect is not None and not expect.matches(target):
            raise FileChangedError(str(target))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _keep_owner(fd: int, old: os.stat_result) -> None:
    st = os.fstat(fd)
    if (st.st_uid, st.st_gid) == (old.st_uid, old.st_gid):
        return
    try:
        os.fchown(fd, old.st_uid, old.st_gid)  # root (or CAP_CHOWN)
    except OSError:
        try:
            os.fchown(fd, -1, old.st_gid)  # an owner may set a group it belongs to
        except OSError:
            pass
