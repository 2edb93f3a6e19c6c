"""The result cache used by the CLI (``lint_source`` never touches it).

Findings are stored per file, keyed by

* the blake2b hash of the file's bytes,
* the file's effective selection (enabled codes) and display name,
* the *settings key* of the run: bflint's version, a hash of the source of
  bflint's own modules, of its rules and of its API data (editing a rule
  invalidates everything), libcst's and Python's versions and the settings
  that change findings (pre-filter).

Layout (like ruff's)::

    .bflint_cache/
        .gitignore        "*"
        CACHEDIR.TAG      (backup tools skip the directory)
        v2/<settings key>.json   one file per settings key, rewritten
                                 atomically at the end of a run: a JSON
                                 header line (format, key, seal) and the
                                 JSON body {"files": {abspath: entry}}

The cache is an optimisation only: a missing, corrupt, truncated or foreign
cache file is ignored (and rebuilt), an unwritable directory means no cache.
Nothing here ever raises into the run.

A cache directory may come with the linted tree (issue 16): it is never
read or written through a symlink (every access is relative to directory
fds opened with O_NOFOLLOW), a cache directory that is a symlink or belongs
to another user is refused (one warning, no cache), pruning removes only
this user's regular files with the cache's own names, each file is sealed
with a keyed hash under a per-user secret kept outside the tree (so an
entry cannot be forged), and every entry is validated field by field
before it is used.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path

import bflint
import bflint.rules
from bflint import __version__, codecache
from bflint.finding import Finding
from bflint.source import LazyPattern, decode, read_source
from bflint.versions import distribution_version

try:  # hashlib's import loads OpenSSL (~10 ms of start-up); blake2 is built in
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

DEFAULT_DIR = ".bflint_cache"
FORMAT = "bflint-cache"
FORMAT_VERSION = 2       # 2: sealed with the user's secret, validated on read
SUBDIR = f"v{FORMAT_VERSION}"
KEEP_FILES = 16          # settings-key files kept (most recently used)
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by bflint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
# Findings that are never cached: they depend on the run, not on the content.
_UNCACHED = frozenset({"BF001", "BF999"})
_FIELDS = tuple(f.name for f in dataclasses.fields(Finding) if f.name != "filename")


def content_hash(data: bytes) -> str:
    return blake2b(data, digest_size=16).hexdigest()


def selection_key(enabled: Iterable[str]) -> str:
    return blake2b(",".join(sorted(enabled)).encode(), digest_size=8).hexdigest()


_RULESET: str | None = None


# What does not produce findings: the runtime companion, the editor integrations.
_NOT_ANALYSIS = ("runtime", "server")


def ruleset_files() -> list[tuple[str, Path]]:
    """(name, path) of every file whose change can change a finding (see _ruleset_paths)."""
    return [(name, Path(path)) for name, path in _ruleset_paths()]


def _ruleset_paths() -> list[tuple[str, str]]:
    """(name, path) of every file whose change can change a finding: the
    modules of bflint and its subpackages (``semantic``, ``analyze``...), the
    rules and the data files, sorted by name. Walked with ``os.scandir`` on
    strings: it runs on every cached run (pathlib's rglob cost ~0.1 s, issue 18 §2)."""
    found: dict[str, str] = {}
    roots = [("bflint", os.path.dirname(bflint.__file__))] + [("rules", p) for p in bflint.rules.__path__]
    for label, root in roots:
        stack = [("", root)]
        while stack:
            rel_dir, directory = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError:
                continue
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.is_dir():
                    if entry.name != "__pycache__" and (rel_dir or entry.name not in _NOT_ANALYSIS):
                        stack.append((rel, entry.path))
                    continue
                suffix = os.path.splitext(entry.name)[1]
                if suffix not in (".py", ".json") or (not rel_dir and entry.name in _NOT_ANALYSIS):
                    continue
                if suffix == ".json" and "data" not in rel.split("/")[:-1]:
                    continue
                found[f"{label}/{rel}"] = entry.path
    return sorted(found.items())


def ruleset_hash() -> str:
    """Hash of the code and data that produce findings: bflint's modules,
    its rules and its data files (not the runtime companion).

    Reading and hashing them (~1.2 MB, ~5 ms: a tenth of a cached run) is done
    once per change of their stat stamps, as Python checks its byte-code
    caches: the hash is kept in the user's cache folder with the stamps (name,
    size, mtime, inode) of the files it was computed from."""
    global _RULESET
    if _RULESET is not None:
        return _RULESET
    files = ruleset_files() if ruleset_files is not _ruleset_files_as_defined else _ruleset_paths()
    stamps = blake2b(digest_size=16)
    for name, f in files:
        try:
            st = os.stat(f)
        except OSError:
            continue
        stamps.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode())
    memo = _ruleset_memo_path()
    sig = stamps.hexdigest()
    kept = codecache.read_private(memo, 4096)
    if kept is not None:
        parts = kept.decode("ascii", "replace").split()
        if len(parts) == 2 and parts[0] == sig and _HASH.match(parts[1]):
            _RULESET = parts[1]
            return _RULESET
    h = blake2b(digest_size=16)
    for name, f in files:
        try:
            data = Path(f).read_bytes()
        except OSError:
            continue
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    _RULESET = h.hexdigest()
    codecache.write_private(memo, f"{sig} {_RULESET}\n".encode())
    return _RULESET


_ruleset_files_as_defined = ruleset_files


def _ruleset_memo_path() -> str:
    """One memo per installation (its folders), in the user's cache folder."""
    where = "\0".join([os.path.dirname(bflint.__file__), *bflint.rules.__path__])
    tag = blake2b(where.encode("utf-8", "surrogateescape"), digest_size=8).hexdigest()
    return os.path.join(codecache.user_cache_dir(), f"ruleset-{tag}.txt")


def settings_key(**settings: object) -> str:
    libcst_version = distribution_version("libcst")  # without importing libcst (issue 18 §2)
    parts = {
        "bflint": __version__,
        "ruleset": ruleset_hash(),
        "libcst": libcst_version,
        "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
        **{k: repr(v) for k, v in sorted(settings.items())},
    }
    blob = json.dumps(parts, sort_keys=True).encode()
    return blake2b(blob, digest_size=16).hexdigest()


def _encode(findings: list[Finding]) -> list[list]:
    return [[getattr(f, name) for name in _FIELDS] for f in findings]


# -- validating what is read (issue 16 item 3) ----------------------------------
# The cache file is data from disk: every value is checked before it becomes
# a Finding, and anything off means the entry is dropped and the file is
# analysed again (the output code may then trust the types).

def _is_int(v: object, low: int = 0) -> bool:
    return type(v) is int and low <= v < 1 << 62


def _is_location(v: object) -> bool:
    return (isinstance(v, dict) and _is_int(v.get("row"), 1) and _is_int(v.get("column"), 0))


def _valid_fix(fix: object) -> bool:
    if fix is None:
        return True
    if not isinstance(fix, dict):
        return False
    if fix.get("applicability") not in ("safe", "unsafe") or not isinstance(fix.get("message"), str):
        return False
    edits = fix.get("edits")
    if not isinstance(edits, list) or not edits:
        return False
    for e in edits:
        if not (isinstance(e, dict) and isinstance(e.get("content"), str)
                and _is_location(e.get("location")) and _is_location(e.get("end_location"))):
            return False
        if "cell" in e and not (e["cell"] is None or _is_int(e["cell"], 1)):
            return False
    return True


_STR_FIELDS = ("code", "name", "severity", "message")
_INT_FIELDS = ("row", "column", "end_row", "end_column")
_OTHER_FIELDS = tuple(k for k in _FIELDS if k not in _STR_FIELDS + _INT_FIELDS + ("fix", "cell"))


def _valid_row(fields: dict) -> bool:
    for k in _STR_FIELDS:
        if not isinstance(fields[k], str):
            return False
    for k in _INT_FIELDS:
        if not _is_int(fields[k], 0):
            return False
    if fields["row"] < 1 or fields["end_row"] < 1:
        return False
    cell = fields["cell"]
    if cell is not None and not _is_int(cell, 1):
        return False
    if fields["code"] in _UNCACHED:
        return False
    for k in _OTHER_FIELDS:  # e.g. help: text or None
        if fields[k] is not None and not isinstance(fields[k], str):
            return False
    return _valid_fix(fields["fix"])


def _decode(rows, filename: str) -> list[Finding] | None:
    """The findings of one entry, or None when anything in it is off."""
    if not isinstance(rows, list):
        return None
    try:
        out = []
        for row in rows:
            if not isinstance(row, list) or len(row) != len(_FIELDS):
                return None
            fields = dict(zip(_FIELDS, row))
            if not _valid_row(fields):
                return None
            out.append(Finding(filename=filename, **fields))
        return out
    except Exception:
        return None


# -- the per-user secret (issue 16 item 3) -------------------------------------
# A cache directory can come with the tree (committed, unpacked), and its key
# is the same for everyone on a version: an entry saying "no findings" could
# be forged for any file. Each cache file is therefore sealed with a keyed
# hash under a secret that lives outside the tree (the user's cache home, or
# BFLINT_CACHE_SECRET for CI caches shared between machines); a file whose
# seal does not verify is ignored.

SECRET_ENV = "BFLINT_CACHE_SECRET"
_SECRET: bytes | None = None


class Unavailable(Exception):
    """The cache cannot be used safely; the message says why."""


def secret_path() -> Path:
    return Path(codecache.user_cache_dir()) / "secret"


def _read_secret(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except FileNotFoundError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != _euid() or st.st_mode & 0o022:
            raise Unavailable(f"{path} is not a private file of this user")
        data = os.read(fd, 256).strip()
    finally:
        os.close(fd)
    if len(data) < 32:
        raise Unavailable(f"{path} is too short")
    return data


def secret() -> bytes:
    """The key the cache files are sealed with (created on first use)."""
    global _SECRET
    if _SECRET is not None:
        return _SECRET
    env = os.environ.get(SECRET_ENV)
    if env:
        _SECRET = blake2b(env.encode("utf-8", "surrogateescape"), digest_size=32).digest()
        return _SECRET
    path = secret_path()
    try:
        data = _read_secret(path)
        if data is None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = path.with_name(f".secret.{os.getpid()}.{os.urandom(4).hex()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
            try:
                os.write(fd, os.urandom(32).hex().encode() + b"\n")
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)  # atomic, never replaces a concurrent run's secret
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
            data = _read_secret(path)
            if data is None:
                raise Unavailable(f"{path} vanished")
    except OSError as exc:
        raise Unavailable(f"cannot keep the cache secret in {path}: {exc.strerror or exc}") from None
    _SECRET = blake2b(data, digest_size=32).digest()
    return _SECRET


def seal(body: bytes, key: str) -> str:
    """The seal of a cache file's body (keyed by the user's secret)."""
    return blake2b(body, digest_size=32, key=secret(), person=b"bflint-cache",
                   salt=bytes.fromhex(key)[:16]).hexdigest()


# -- the cache directory, never through a symlink (issue 16 item 1) --------------

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# (os.replace takes dir fds as os.rename does; it is not listed in supports_dir_fd)
_SUPPORTED = (bool(_NOFOLLOW and _DIRECTORY)
              and {os.open, os.stat, os.unlink, os.mkdir, os.rename} <= os.supports_dir_fd
              and os.scandir in os.supports_fd)
MAX_CACHE_BYTES = 256 * 1024 * 1024
_ENTRY_NAME = LazyPattern(r"[0-9a-f]{32}\.json\Z")
_TMP_NAME = LazyPattern(r"\.[0-9a-f]{32}\.json\.[0-9a-f]{16}\.tmp\Z")
_warned: set[str] = set()
_HASH = LazyPattern(r"[0-9a-f]{32}\Z")


def _euid() -> int:
    return os.geteuid() if hasattr(os, "geteuid") else -1


def _warn(text: str) -> None:
    if text not in _warned:
        _warned.add(text)
        try:
            sys.stderr.write(f"bflint: warning: {text}; running without the cache\n")
            sys.stderr.flush()
        except Exception:
            pass


def _open_dir(name: str | os.PathLike, shown: str, dir_fd: int | None = None,
              create: bool = False) -> int | None:
    """An fd of the directory ``name`` (relative to ``dir_fd``): never
    through a symlink, only a directory this user owns. None when it does
    not exist (and ``create`` is false). Raises Unavailable (refused) or
    OSError (cannot)."""
    if create:
        try:
            os.mkdir(name, 0o755, dir_fd=dir_fd)
        except FileExistsError:
            pass
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise Unavailable(f"the cache directory {shown} is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(20, "not a directory")
    fd = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        if st.st_uid != _euid():
            raise Unavailable(f"the cache directory {shown} belongs to another user")
    except BaseException:
        os.close(fd)
        raise
    return fd


class Cache:
    """One run's view of the cache. ``get``/``put`` are in memory;
    :meth:`save` writes the file once at the end. Every access to the
    directory goes through file descriptors opened without following
    symlinks, so a planted link can neither be read through nor written
    through, and pruning removes only the cache's own regular files."""

    def __init__(self, directory: str | os.PathLike | None, key: str):
        self.dir = Path(directory if directory is not None else DEFAULT_DIR)
        self.key = key
        self.name = f"{key}.json"
        self.path = self.dir / SUBDIR / self.name
        self.entries: dict[str, list] = {}
        self.dirty = False
        self.touched: set[str] = set()
        self.hits = 0
        self._dep_hashes: dict[str, str | None] = {}
        self._dep_fps: dict[tuple, str | None] = {}
        # "content hash:path" -> the folders a file that fails the pre-filter adds to sys.path
        # (ProjectIndex.sys_path_memo: the runner shares this dict with the index)
        self.sys_paths: dict[str, list[str] | None] = {}
        self._sys_paths_read: dict[str, list[str] | None] = {}
        self._load()

    @classmethod
    def open(cls, directory: str | os.PathLike | None, **settings: object) -> "Cache | None":
        """The cache, or None (no cache this run: one warning on stderr when
        the directory is refused for safety)."""
        if not _SUPPORTED:
            return None
        try:
            return cls(directory, settings_key(**settings))
        except Unavailable as exc:
            _warn(str(exc))
            return None
        except Exception:
            return None

    # -- reading -----------------------------------------------------------
    def _dirs(self, create: bool) -> tuple[int, int] | None:
        top = _open_dir(self.dir, str(self.dir), create=create)
        if top is None:
            return None
        try:
            sub = _open_dir(SUBDIR, str(self.dir / SUBDIR), dir_fd=top, create=create)
        except BaseException:
            os.close(top)
            raise
        if sub is None:
            os.close(top)
            return None
        return top, sub

    def _load(self) -> None:
        fds = self._dirs(create=False)  # Unavailable propagates: refuse the directory
        if fds is None:
            return
        top, sub = fds
        try:
            raw = self._read(sub)
        finally:
            os.close(sub)
            os.close(top)
        if raw is None:
            return
        head, sep, body = raw.partition(b"\n")
        try:
            header = json.loads(head)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return
        if (
            not sep
            or not isinstance(header, dict)
            or header.get("format") != FORMAT
            or header.get("version") != FORMAT_VERSION
            or header.get("key") != self.key
            or not isinstance(header.get("seal"), str)
        ):
            return
        if not _same(header["seal"], seal(body, self.key)):  # forged or damaged
            return
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return
        if isinstance(doc, dict) and isinstance(doc.get("files"), dict):
            self.entries = doc["files"]
            paths = doc.get("sys_paths")
            if isinstance(paths, dict) and len(paths) <= 100_000:
                self.sys_paths = {k: v for k, v in paths.items() if isinstance(k, str) and (
                    v is None or (isinstance(v, list) and len(v) <= 1000
                                  and all(isinstance(d, str) and os.path.isabs(d) for d in v)))}
                self._sys_paths_read = dict(self.sys_paths)

    def _read(self, sub: int) -> bytes | None:
        try:
            fd = os.open(self.name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _CLOEXEC, dir_fd=sub)
        except OSError:  # missing, or a symlink (ELOOP)
            return None
        try:
            st = os.fstat(fd)
            if (not stat.S_ISREG(st.st_mode) or st.st_uid != _euid()
                    or st.st_size > MAX_CACHE_BYTES):
                return None
            return codecache.read_fd(fd, MAX_CACHE_BYTES)
        except OSError:
            return None
        finally:
            os.close(fd)

    @staticmethod
    def _id(path: str | os.PathLike) -> str:
        return os.path.abspath(path)

    def dependency_hash(self, path: str) -> str | None:
        """The content hash of a project module an entry depends on (read once per run)."""
        memo = self._dep_hashes
        if path not in memo:
            try:
                memo[path] = content_hash(read_source(path))
            except (OSError, ValueError):
                memo[path] = None
        return memo[path]

    def dependency_fingerprint(self, path: str, names: list[str]) -> str | None:
        """The summary fingerprint of ``names`` of a project module as it is now
        (:mod:`bflint.project.fingerprint`: ``ast``, never LibCST), or None."""
        key = (path, tuple(names))
        memo = self._dep_fps
        if key not in memo:
            memo[key] = None
            try:
                from bflint.project import fingerprint  # start-up: only when an imported module changed

                memo[key] = fingerprint.fingerprint(decode(read_source(path)), names)
            except Exception:
                pass
        return memo[key]

    def _deps_current(self, entry: list) -> bool:
        """Every project module the entry was computed with still has the same
        bytes, or at least the same summary fingerprint for the names the file
        takes from it (issue 12: a file's findings change when what it imports
        does, not when another function of that module does), and no module has
        appeared where one of its imports looked for one. A dependency whose
        bytes changed but whose fingerprint did not gets its new hash stored."""
        deps = entry[4]
        extra = entry[5] if len(entry) > 5 else {}
        if not isinstance(deps, dict) or len(deps) > 10_000 or not isinstance(extra, dict):
            return False
        fps = extra.get("fingerprints", {})
        missing = extra.get("missing", [])
        if not isinstance(fps, dict) or not isinstance(missing, list) or len(missing) > 10_000:
            return False
        refreshed = {}
        for path, digest in deps.items():
            if not (isinstance(path, str) and os.path.isabs(path) and isinstance(digest, str)
                    and _HASH.match(digest)):
                return False
            now = self.dependency_hash(path)
            if now == digest:
                continue
            fp = fps.get(path)
            if now is None or not (isinstance(fp, list) and len(fp) == 2 and isinstance(fp[0], str)
                                   and isinstance(fp[1], list)
                                   and all(isinstance(n, str) for n in fp[1])):
                return False
            if self.dependency_fingerprint(path, fp[1]) != fp[0]:
                return False
            refreshed[path] = now
        for path in missing:
            if not (isinstance(path, str) and os.path.isabs(path)) or os.path.exists(path):
                return False
        if refreshed:
            deps.update(refreshed)
            self.dirty = True
        return True

    def get(self, path: str | os.PathLike, name: str, digest: str,
            selection: str) -> list[Finding] | None:
        """The cached findings of ``path`` when its entry was written for
        exactly these bytes (``digest``), selection and display name, and the
        project modules it read (its dependencies) are unchanged."""
        key = self._id(path)
        self.touched.add(key)
        entry = self.entries.get(key)
        if (
            isinstance(entry, list)
            and len(entry) in (4, 5, 6)
            and isinstance(entry[0], str)
            and entry[0] == digest
            and entry[1] == selection
            and entry[2] == name
            and (len(entry) == 4 or self._deps_current(entry))
        ):
            found = _decode(entry[3], name)
            if found is not None:
                self.hits += 1
                return found
        if key in self.entries:  # off in any way: drop it, the file is analysed again
            del self.entries[key]
            self.dirty = True
        return None

    # -- writing -----------------------------------------------------------
    def put(self, path: str | os.PathLike, name: str, digest: str, selection: str,
            findings: list[Finding], deps: dict | None = None) -> None:
        """``deps``: the project modules the findings were computed with, as
        ``ProjectIndex.finished`` records them (``hashes``: absolute path ->
        content hash, ``fingerprints``: path -> [summary fingerprint, names],
        ``missing``: files an import looked for), or just path -> hash."""
        if any(f.code in _UNCACHED for f in findings):
            return
        entry: list = [digest, selection, name, _encode(findings)]
        if deps and "hashes" in deps:
            entry.append(dict(deps["hashes"]))
            extra = {k: deps[k] for k in ("fingerprints", "missing") if deps.get(k)}
            if extra:
                entry.append(extra)
        elif deps:
            entry.append(dict(deps))
        key = self._id(path)
        self.touched.add(key)
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self.dirty = True

    def save(self) -> bool:
        """Write the cache atomically; ``False`` (silently) when it cannot."""
        if self.sys_paths != self._sys_paths_read:
            self.dirty = True
        if not self.dirty:
            return True
        try:
            # forget files that were deleted since they were cached
            for key in [k for k in self.entries if k not in self.touched]:
                if not isinstance(key, str) or not os.path.exists(key):
                    del self.entries[key]
            doc: dict = {"files": self.entries}
            if self.sys_paths:
                if len(self.sys_paths) > 20_000:  # a memo only: start afresh
                    self.sys_paths.clear()
                doc["sys_paths"] = self.sys_paths
            body = json.dumps(doc, separators=(",", ":")).encode()
            header = json.dumps({"format": FORMAT, "version": FORMAT_VERSION, "key": self.key,
                                 "seal": seal(body, self.key)}, separators=(",", ":")).encode()
            fds = self._dirs(create=True)
            if fds is None:
                return False
            top, sub = fds
            try:
                self._mark(top)
                self._write(sub, header + b"\n" + body)
                self.dirty = False
                self._prune(sub)
            finally:
                os.close(sub)
                os.close(top)
            self._sys_paths_read = dict(self.sys_paths)
            return True
        except Unavailable as exc:
            _warn(str(exc))
            return False
        except Exception:
            return False

    def _write(self, sub: int, data: bytes) -> None:
        """A new file next to the entry, renamed over it: the rename replaces
        a planted symlink itself, never its target."""
        tmp = f".{self.name}.{os.urandom(8).hex()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644,
                     dir_fd=sub)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                # 0o644 whatever the umask: a shared CI cache must stay readable
                os.fchmod(fd, 0o644)
            finally:
                os.close(fd)
            os.replace(tmp, self.name, src_dir_fd=sub, dst_dir_fd=sub)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=sub)
            except OSError:
                pass
            raise

    @staticmethod
    def _mark(top: int) -> None:
        """The directory's .gitignore and CACHEDIR.TAG, created once
        (O_EXCL: an existing name, symlink or not, is left alone)."""
        for name, text in ((".gitignore", "# Automatically created by bflint.\n*\n"),
                           ("CACHEDIR.TAG", CACHEDIR_TAG)):
            try:
                fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC,
                             0o644, dir_fd=top)
            except OSError:
                continue
            try:
                os.write(fd, text.encode())
            except OSError:
                pass
            finally:
                os.close(fd)

    def _prune(self, sub: int) -> None:
        """Keep the most recently written settings-key files only. Only
        regular files of this user with the cache's own names are removed
        (never a symlink, never anything outside the directory)."""
        import time

        try:
            files = []
            stale = time.time() - 3600
            with os.scandir(sub) as it:
                for e in it:
                    own = _ENTRY_NAME.match(e.name)
                    if not own and not _TMP_NAME.match(e.name):
                        continue
                    try:
                        st = e.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if not stat.S_ISREG(st.st_mode) or st.st_uid != _euid():
                        continue
                    if own:
                        if e.name != self.name:
                            files.append((st.st_mtime, e.name))
                    elif st.st_mtime < stale:  # a temporary file left by a killed run
                        _unlink(e.name, sub)
            if len(files) < KEEP_FILES:
                return
            files.sort(reverse=True)
            for _, name in files[KEEP_FILES - 1:]:
                _unlink(name, sub)
        except OSError:
            pass


def _unlink(name: str, sub: int) -> None:
    try:
        st = os.stat(name, dir_fd=sub, follow_symlinks=False)
        if stat.S_ISREG(st.st_mode):
            os.unlink(name, dir_fd=sub)
    except OSError:
        pass


def _same(a: str, b: str) -> bool:
    # a plain comparison: the seal guards a local file, not a network service
    # (hmac's import would load OpenSSL on the warm path)
    return a == b
