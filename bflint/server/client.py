"""A minimal LSP client over a subprocess's stdin/stdout (JSON-RPC with
``Content-Length`` framing), as an editor talks to ``bflint server``. Used
by the tests and ``bench/bench.py``; no dependency beyond the standard
library.

    with StdioClient([sys.executable, "-m", "bflint", "server"]) as c:
        c.initialize(root_uri)
        c.notify("textDocument/didOpen", {...})
        msg = c.wait_notification("textDocument/publishDiagnostics", lambda p: p["uri"] == uri)
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any


class LspError(RuntimeError):
    pass


class StdioClient:
    def __init__(self, cmd: list[str], cwd: str | None = None, env: dict | None = None):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, cwd=cwd, env=env)
        self._next = 0
        self._inbox: queue.Queue = queue.Queue()
        self.notifications: list[dict] = []  # every notification received, in order
        self.server_requests: list[dict] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- wire ---------------------------------------------------------------------
    def _send(self, msg: dict) -> None:
        body = json.dumps(msg).encode("utf-8")
        stdin = self.proc.stdin
        assert stdin is not None  # Popen(stdin=PIPE)
        with self._lock:
            stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            stdin.flush()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None  # Popen(stdout=PIPE)
        try:
            while True:
                headers = {}
                while True:
                    line = out.readline()
                    if not line:
                        self._inbox.put(None)
                        return
                    line = line.strip()
                    if not line:
                        break
                    k, _, v = line.decode("ascii").partition(":")
                    headers[k.strip().lower()] = v.strip()
                n = int(headers["content-length"])
                body = out.read(n)
                self._inbox.put((time.perf_counter(), json.loads(body)))
        except Exception:
            self._inbox.put(None)

    # -- messages -------------------------------------------------------------------
    def notify(self, method: str, params: Any = None) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any = None, timeout: float = 60) -> Any:
        self._next += 1
        rid = self._next
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        msg = self._wait(lambda m: m.get("id") == rid and "method" not in m, timeout,
                         f"the answer to {method}")
        if "error" in msg:
            raise LspError(f"{method}: {msg['error']}")
        return msg.get("result")

    def wait_notification(self, method: str, predicate: Callable[[dict], bool] = lambda p: True,
                          timeout: float = 60, since: int = 0) -> dict:
        """The params of the first notification ``method`` (at index >= ``since``
        of :attr:`notifications`) whose params satisfy ``predicate``."""
        for n in self.notifications[since:]:
            if n["method"] == method and predicate(n["params"]):
                return n["params"]
        msg = self._wait(lambda m: m.get("method") == method and "id" not in m
                         and predicate(m.get("params") or {}), timeout, f"a {method} notification")
        return msg["params"]

    def _wait(self, match: Callable[[dict], bool], timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {what} within {timeout} s; server stderr:\n{self.stderr_text()}")
            try:
                item = self._inbox.get(timeout=left)
            except queue.Empty:
                continue
            if item is None:
                raise LspError(f"the server closed its output while waiting for {what}; "
                               f"stderr:\n{self.stderr_text()}")
            received, msg = item
            if "method" in msg and "id" in msg:  # a request from the server: answer it
                self.server_requests.append(msg)
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                continue
            if "method" in msg:
                msg["params"] = msg.get("params")
                self.notifications.append({"method": msg["method"], "params": msg["params"],
                                           "received": received})
            if match(msg):
                return msg

    def stderr_text(self) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read().decode("utf-8", "replace")
        except Exception:
            return ""

    # -- session --------------------------------------------------------------------
    def initialize(self, root_uri: str | None = None, capabilities: dict | None = None) -> dict:
        caps = capabilities if capabilities is not None else {
            "general": {"positionEncodings": ["utf-16"]},
            "textDocument": {
                "publishDiagnostics": {"relatedInformation": True, "codeDescriptionSupport": True},
                "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {
                    "valueSet": ["quickfix", "source", "source.fixAll"]}}, "isPreferredSupport": True},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "synchronization": {"didSave": True},
            },
            "notebookDocument": {"synchronization": {"executionSummarySupport": False}},
        }
        params = {"processId": os.getpid(), "rootUri": root_uri, "capabilities": caps,
                  "workspaceFolders": [{"uri": root_uri, "name": "root"}] if root_uri else None}
        result = self.request("initialize", params)
        self.notify("initialized", {})
        return result

    def shutdown(self, timeout: float = 30) -> int:
        self.request("shutdown", None)
        self.notify("exit", None)
        try:
            return self.proc.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                if f is not None:
                    f.close()
            except Exception:
                pass
        self.stderr.close()

    def __enter__(self) -> "StdioClient":
        return self

    def __exit__(self, *exc) -> None:
        if not self.stderr.closed:
            self.close()
