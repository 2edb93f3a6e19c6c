"""Start-up (issue 18 §2, issue 12's one changed file <= 0.3 s): the methods
``dataclasses`` generates, compiled once per user instead of once per run.

Creating a dataclass compiles the source of its ``__init__``, ``__repr__``,
``__eq__``, ``__setattr__``... with ``exec``. LibCST defines ~225 dataclasses:
compiling their ~620 generated functions is more than half of ``import
libcst`` (1,050M of 1,150M instructions with Python 3.12; ~90 ms of a ~0.3 s
one-file run), and the source is the same in every run.

:func:`install` (called by the CLI before anything is checked) routes the
``exec`` of the ``dataclasses`` module through a table of code objects
compiled by earlier runs, keyed by the exact source text. ``compile`` of the
same text with the same flags (none: ``dataclasses`` has no ``__future__``
import) gives an equal code object, so the classes and their methods are
the same as without the table; only the compiling is skipped. A text not in
the table is compiled as before and added to it.

The table is a file per Python version in the user's cache folder
(``$XDG_CACHE_HOME/bflint`` or ``~/.cache/bflint``, where the result cache's
secret lives; never in the linted tree), written at exit only when something
was compiled, and not at all when Python writes no byte code
(``PYTHONDONTWRITEBYTECODE``, ``-B``): it is byte code, trusted as Python
trusts its own ``__pycache__``. It is read only when it is a regular file of
this user that nobody else may write; anything odd in it means it is
ignored. ``BFLINT_NO_CODE_CACHE=1`` turns it off."""

from __future__ import annotations

import os
import stat
import sys
import types

FORMAT = b"bflint-dataclass-code 1 "
MAX_BYTES = 16 * 1024 * 1024
MAX_ENTRIES = 8192   # beyond it (many LibCST versions over time) the table starts afresh
DISABLE_ENV = "BFLINT_NO_CODE_CACHE"

_table: dict[str, types.CodeType] = {}
_new: dict[str, types.CodeType] = {}
_installed = False
_loaded = False  # the table is read at the first dataclass (a cached run may create none)


def user_cache_dir() -> str:
    """``$XDG_CACHE_HOME/bflint`` (an absolute ``XDG_CACHE_HOME`` only), else ``~/.cache/bflint``."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "bflint")


def table_path() -> str:
    return os.path.join(user_cache_dir(), f"dataclass-code-{sys.implementation.cache_tag}.bin")


def _header() -> bytes:
    return FORMAT + sys.version.encode("utf-8", "replace").replace(b"\n", b" ") + b"\n"


def _exec(source, globals=None, locals=None, /, **kwargs):  # noqa: A002 (exec's own names)
    """``exec`` for the ``dataclasses`` module: a source text compiled before is not compiled again."""
    if type(source) is str and not kwargs:
        global _loaded
        if not _loaded:
            _loaded = True
            _table.update(_read(table_path()))
        code = _table.get(source)
        if code is None:
            code = _new.get(source)
            if code is None:
                code = compile(source, "<string>", "exec", dont_inherit=True)
                _new[source] = code
        source = code
    return exec(source, globals, locals, **kwargs)


def read_private(path: str, max_bytes: int = MAX_BYTES) -> bytes | None:
    """The bytes of ``path`` when it is a regular file of this user that nobody else
    may write (never through a symlink), at most ``max_bytes``; else None."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        euid = os.geteuid() if hasattr(os, "geteuid") else None
        if (not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes or st.st_mode & 0o022
                or (euid is not None and st.st_uid != euid)):
            return None
        return read_fd(fd, max_bytes)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_fd(fd: int, max_bytes: int) -> bytes | None:
    """The rest of an open file, or None when it holds more than ``max_bytes`` (a file
    that grows while it is read is not taken whole); raises ``OSError``."""
    chunks, left = [], max_bytes + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    data = b"".join(chunks)
    return data if len(data) <= max_bytes else None


def write_private(path: str, data: bytes) -> bool:
    """``data`` written to ``path`` atomically, readable by this user only (its
    folder created private); False, silently, when it cannot be."""
    folder = os.path.dirname(path)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
        return True
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def _read(path: str) -> dict[str, types.CodeType]:
    """The table stored at ``path``; empty when missing, foreign or damaged."""
    import marshal

    data = read_private(path)
    if data is None:
        return {}
    head = _header()
    if not data.startswith(head):
        return {}
    try:
        table = marshal.loads(memoryview(data)[len(head):])
    except Exception:  # EOFError, ValueError, TypeError: damaged
        return {}
    if not isinstance(table, dict) or len(table) > MAX_ENTRIES:
        return {}
    for k, v in table.items():
        if type(k) is not str or type(v) is not types.CodeType:
            return {}
    return table


def save() -> bool:
    """Write the table when this process compiled something new (atomically;
    ``False``, silently, when it cannot or may not)."""
    import marshal

    if not _new or sys.dont_write_bytecode:
        return False
    if not _loaded:  # (cannot happen: something was compiled) keep what is stored
        _table.update(_read(table_path()))
    table = dict(_table) if len(_table) + len(_new) <= MAX_ENTRIES else {}
    table.update(_new)
    try:
        data = _header() + marshal.dumps(table)
    except ValueError:
        return False
    if not write_private(table_path(), data):
        return False
    _table.update(_new)
    _new.clear()
    return True


def install() -> bool:
    """Route ``dataclasses``' ``exec`` through the table (once per process; not
    when ``BFLINT_NO_CODE_CACHE`` is set or something else already replaced it)."""
    global _installed
    if _installed:
        return True
    if os.environ.get(DISABLE_ENV):
        return False
    import dataclasses

    if "exec" in vars(dataclasses):  # someone else's: leave it alone
        return False
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    _installed = True
    import atexit

    atexit.register(save)
    return True


def uninstall() -> None:
    """Undo :func:`install` (tests)."""
    global _installed
    import dataclasses

    if vars(dataclasses).get("exec") is _exec:
        del dataclasses.exec  # type: ignore[attr-defined]
    _installed = False
