"""Installed versions of distributions, read from their metadata without
importing them (``import libcst`` costs ~0.15 s; a warm, fully cached run
must not pay it: issue 18 section 2)."""

from __future__ import annotations

import os
import re
import sys

_cache: dict[str, str] = {}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def distribution_version(name: str) -> str:
    """The version of the installed distribution ``name``, or "?".

    Scans ``sys.path`` for ``<name>-<version>.dist-info`` (the directory name
    carries the version, so nothing is opened in the common case); falls back
    to ``importlib.metadata`` (slower to import) for other layouts."""
    if name in _cache:
        return _cache[name]
    want = _normal(name)
    version = "?"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for n in names:
            # a cheap test first: site-packages holds hundreds of entries (issue 18 §2)
            if n[:1].lower() == want[:1] and n.endswith(".dist-info"):
                dist, _, ver = n[: -len(".dist-info")].partition("-")
                if _normal(dist) == want and ver:
                    version = ver
                    break
        if version != "?":
            break
    else:
        # Start-up: importlib.metadata loads email/zipfile (~10 ms); needed only
        # for installs without a dist-info directory on sys.path (eggs, zips).
        from importlib import metadata

        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    _cache[name] = version
    return version
