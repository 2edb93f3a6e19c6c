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
        v1/<settings key>.json   one file per settings key, rewritten
                                 atomically at the end of a run

The cache is an optimisation only: a missing, corrupt, truncated or foreign
cache file is ignored (and rebuilt), an unwritable directory means no cache.
Nothing here ever raises into the run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path
from typing import Iterable

from bflint.finding import Finding
from bflint.versions import distribution_version

try:  # hashlib's import loads OpenSSL (~10 ms of start-up); blake2 is built in
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b

DEFAULT_DIR = ".bflint_cache"
FORMAT = "bflint-cache"
FORMAT_VERSION = 1
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


def ruleset_hash() -> str:
    """Hash of the code and data that produce findings: bflint's modules,
    its rules and its data files (not the runtime companion)."""
    global _RULESET
    if _RULESET is not None:
        return _RULESET
    import bflint
    import bflint.rules

    h = blake2b(digest_size=16)
    roots = [Path(bflint.__file__).parent]
    roots += [Path(p) for p in bflint.rules.__path__]
    files: list[Path] = []
    for root in roots:
        files += root.glob("*.py")
        files += (root / "data").glob("*.json")
    for f in sorted(set(files), key=lambda p: (p.parent.name, p.name)):
        try:
            data = f.read_bytes()
        except OSError:
            continue
        h.update(f"{f.parent.name}/{f.name}\0{len(data)}\0".encode())
        h.update(data)
    _RULESET = h.hexdigest()
    return _RULESET


def settings_key(**settings: object) -> str:
    from bflint import __version__

    libcst_version = distribution_version("libcst")  # without importing libcst (issue 18 §2)
    parts = {
        "bflint": __version__,
        "ruleset": ruleset_hash(),
        "libcst": libcst_version,
        "python": "%d.%d" % sys.version_info[:2],
        **{k: repr(v) for k, v in sorted(settings.items())},
    }
    blob = json.dumps(parts, sort_keys=True).encode()
    return blake2b(blob, digest_size=16).hexdigest()


def _encode(findings: list[Finding]) -> list[list]:
    return [[getattr(f, name) for name in _FIELDS] for f in findings]


def _decode(rows, filename: str) -> list[Finding] | None:
    try:
        out = []
        for row in rows:
            if len(row) != len(_FIELDS):
                return None
            fields = dict(zip(_FIELDS, row))
            out.append(Finding(filename=filename, **fields))
        return out
    except Exception:
        return None


class Cache:
    """One run's view of the cache. ``get``/``put`` are in memory;
    :meth:`save` writes the file once at the end."""

    def __init__(self, directory: str | os.PathLike | None, key: str):
        self.dir = Path(directory if directory is not None else DEFAULT_DIR)
        self.key = key
        self.path = self.dir / SUBDIR / f"{key}.json"
        self.entries: dict[str, list] = {}
        self.dirty = False
        self.touched: set[str] = set()
        self.hits = 0
        self._load()

    @classmethod
    def open(cls, directory: str | os.PathLike | None, **settings: object) -> "Cache | None":
        try:
            return cls(directory, settings_key(**settings))
        except Exception:
            return None

    # -- reading -----------------------------------------------------------
    def _load(self) -> None:
        try:
            raw = self.path.read_bytes()
        except OSError:
            return
        try:
            doc = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return
        if (
            not isinstance(doc, dict)
            or doc.get("format") != FORMAT
            or doc.get("version") != FORMAT_VERSION
            or doc.get("key") != self.key
            or not isinstance(doc.get("files"), dict)
        ):
            return
        self.entries = doc["files"]

    @staticmethod
    def _id(path: str | os.PathLike) -> str:
        return os.path.abspath(path)

    def get(self, path: str | os.PathLike, name: str, digest: str,
            selection: str) -> list[Finding] | None:
        key = self._id(path)
        self.touched.add(key)
        entry = self.entries.get(key)
        if (
            isinstance(entry, list)
            and len(entry) == 4
            and entry[0] == digest
            and entry[1] == selection
            and entry[2] == name
            and isinstance(entry[3], list)
        ):
            found = _decode(entry[3], name)
            if found is not None:
                self.hits += 1
                return found
        return None

    # -- writing -----------------------------------------------------------
    def put(self, path: str | os.PathLike, name: str, digest: str, selection: str,
            findings: list[Finding]) -> None:
        if any(f.code in _UNCACHED for f in findings):
            return
        entry = [digest, selection, name, _encode(findings)]
        key = self._id(path)
        self.touched.add(key)
        if self.entries.get(key) != entry:
            self.entries[key] = entry
            self.dirty = True

    def save(self) -> bool:
        """Write the cache atomically; ``False`` (silently) when it cannot."""
        if not self.dirty:
            return True
        try:
            # forget files that were deleted since they were cached
            for key in [k for k in self.entries if k not in self.touched]:
                if not os.path.exists(key):
                    del self.entries[key]
            self._prepare_dir()
            doc = {"format": FORMAT, "version": FORMAT_VERSION, "key": self.key,
                   "files": self.entries}
            data = json.dumps(doc, separators=(",", ":")).encode()
            from bflint.atomic import write_atomic

            # 0o644: mkstemp's 0600 would hide it from a shared CI cache
            write_atomic(self.path, data, mode=0o644, fsync=False)
            self.dirty = False
            self._prune()
            return True
        except Exception:
            return False

    def _prepare_dir(self) -> None:
        fresh = not self.dir.exists()
        (self.dir / SUBDIR).mkdir(parents=True, exist_ok=True)
        for name, text in ((".gitignore", "# Automatically created by bflint.\n*\n"),
                           ("CACHEDIR.TAG", CACHEDIR_TAG)):
            p = self.dir / name
            if fresh or not p.exists():
                try:
                    p.write_text(text, encoding="utf-8")
                except OSError:
                    pass

    def _prune(self) -> None:
        """Keep the most recently written settings-key files only."""
        try:
            files = [p for p in (self.dir / SUBDIR).glob("*.json") if p != self.path]
            if len(files) < KEEP_FILES:
                return
            files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
            for p in files[KEEP_FILES - 1:]:
                p.unlink()
        except OSError:
            pass
