"""``bflint server``: a language server for editors and JupyterLab
(``pip install "bflint[server]"``). The LSP side lives in
:mod:`bflint.server.lsp` (pygls); :mod:`bflint.server.core` is the
analysis it publishes, the CLI's own code; :mod:`bflint.server.project` is
the CLI's project index with the editor's unsaved modules;
:mod:`bflint.server.incremental` parses an edited document incrementally."""

from __future__ import annotations

import sys

INSTALL_HINT = ('bflint server needs the optional dependencies of the `server` extra: '
                'pip install "bflint[server]"')


def main() -> int:
    """Serve LSP over stdin/stdout until the client exits."""
    try:
        from bflint.server import lsp  # start-up: pygls is optional (the server extra); say so if missing
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        print(f"bflint: {INSTALL_HINT} ({exc})", file=sys.stderr)
        return 2
    return lsp.main()
