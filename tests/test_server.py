"""``bflint server`` driven over stdio as an editor drives it: a real
subprocess, JSON-RPC with Content-Length framing (bflint.server.client),
initialize, open a script and a notebook, edit, diagnostics, code actions
applied to the text, hover, shutdown. Each answer is compared with what the
CLI says for the same file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pygls", reason="bflint[server] is not installed")

from bflint.server.client import StdioClient  # noqa: E402

DIAG = "textDocument/publishDiagnostics"

SCRIPT = '''import bayesflow as bf

adapter = bf.Adapter().concatenate(["theta"], into="inference_variables")
workflow = bf.BasicWorkflow(
    simulator=None,
    adapter=adapter,
    inference_variables=["theta"],
    standardize="inference_variable",
)
'''


# -- helpers: what an editor does -------------------------------------------------

def _offset(text: str, line: int, character: int) -> int:
    """LSP position (UTF-16 units) -> index into ``text`` (written
    independently of the server's conversion)."""
    lines = text.splitlines(keepends=True)
    off = sum(len(s) for s in lines[:line])
    if line >= len(lines):
        return len(text)
    units = 0
    for i, ch in enumerate(lines[line]):
        if units >= character:
            return off + i
        units += 2 if ord(ch) > 0xFFFF else 1
    return off + len(lines[line].rstrip("\r\n")) if units < character else off + len(lines[line])


def apply(text: str, edits: list[dict]) -> str:
    spans = [(_offset(text, e["range"]["start"]["line"], e["range"]["start"]["character"]),
              _offset(text, e["range"]["end"]["line"], e["range"]["end"]["character"]),
              e["newText"]) for e in edits]
    for a, b, new in sorted(spans, reverse=True):
        text = text[:a] + new + text[b:]
    return text


def cli_json(path: Path, cwd: Path, *extra: str) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "bflint", "check", "--format", "json", "--no-cache",
                           *extra, path.name], cwd=cwd, capture_output=True, text=True, timeout=120)
    return json.loads(proc.stdout)


class Editor:
    """A client session plus the documents it holds."""

    def __init__(self, root: Path):
        self.root = root
        self.c = StdioClient([sys.executable, "-m", "bflint", "server"], cwd=str(root))
        self.init = self.c.initialize(root.as_uri())
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}

    def open(self, path: Path, text: str | None = None) -> str:
        uri = path.as_uri()
        text = path.read_text() if text is None else text
        self.texts[uri], self.versions[uri] = text, 1
        mark = len(self.c.notifications)
        self.c.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}})
        self.last = self.diagnostics(uri, 1, mark)
        return uri

    def diagnostics(self, uri: str, version: int | None, since: int) -> list[dict]:
        p = self.c.wait_notification(
            DIAG, lambda p: p["uri"] == uri and (version is None or p.get("version") == version),
            since=since)
        return p["diagnostics"]

    def change(self, uri: str, edits: list[dict]) -> list[dict]:
        """Incremental changes (as VS Code sends them), then the diagnostics of the new version."""
        self.versions[uri] += 1
        v = self.versions[uri]
        self.texts[uri] = apply(self.texts[uri], edits)
        mark = len(self.c.notifications)
        self.c.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": v},
            "contentChanges": [{"range": e["range"], "text": e["newText"]} for e in edits]})
        return self.diagnostics(uri, v, mark)

    def code_actions(self, uri: str, rng: dict, only: list[str] | None = None) -> list[dict]:
        ctx: dict = {"diagnostics": []}
        if only:
            ctx["only"] = only
        return self.c.request("textDocument/codeAction",
                              {"textDocument": {"uri": uri}, "range": rng, "context": ctx}) or []

    def close(self) -> None:
        if not self.c.stderr.closed:
            self.c.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[tool.bflint]\nignore = ["BF302"]\n')
    return tmp_path


@pytest.fixture
def editor(project: Path):
    ed = Editor(project)
    yield ed
    ed.close()


def by_code(diags: list[dict]) -> dict[str, dict]:
    return {d["code"]: d for d in diags}


def rng(line: int, ch: int, end_line: int, end_ch: int) -> dict:
    return {"start": {"line": line, "character": ch}, "end": {"line": end_line, "character": end_ch}}


# -- the tests ----------------------------------------------------------------------

def test_session_script_open_edit_action_hover_shutdown(project: Path):
    """The whole session an editor has with one script."""
    path = project / "train.py"
    path.write_text(SCRIPT)
    ed = Editor(project)
    try:
        caps = ed.init["capabilities"]
        assert caps["notebookDocumentSync"]["notebookSelector"][0]["cells"] == [{"language": "python"}]
        assert "source.fixAll.bflint" in caps["codeActionProvider"]["codeActionKinds"]
        assert caps["hoverProvider"]
        uri = ed.open(path)
        diags = by_code(ed.last)

        # the CLI's findings, messages and settings (pyproject ignores BF302)
        cli = cli_json(path, project)
        assert {(d["code"], d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1,
                 d["message"]) for d in ed.last} == \
            {(f["code"], f["location"]["row"], f["location"]["column"], f["message"]) for f in cli}
        assert "BF101" in diags and "BF108" in diags
        d = diags["BF101"]
        assert d["severity"] == 1 and d["source"] == "bflint"
        assert d["codeDescription"]["href"].endswith("docs/rules.md#bf101-" +
                                                     next(f["name"] for f in cli if f["code"] == "BF101"))

        # half-typed: only a BF000, and the server lives on
        half = ed.change(uri, [{"range": rng(8, 0, 8, 1), "newText": "    x=(\n"}])
        assert [x["code"] for x in half] == ["BF000"]
        back = ed.change(uri, [{"range": rng(8, 0, 9, 0), "newText": ")"}])
        assert ed.texts[uri] == SCRIPT
        assert {x["code"] for x in back} == set(diags)

        # the safe fix of BF108: preferred quickfix; applying it removes the finding
        actions = ed.code_actions(uri, diags["BF108"]["range"])
        fixes = [a for a in actions if a["kind"] == "quickfix" and "noqa" not in a["title"]
                 and a["diagnostics"][0]["code"] == "BF108"]
        assert len(fixes) == 1 and fixes[0]["isPreferred"] is True
        edits = fixes[0]["edit"]["changes"][uri]
        after = ed.change(uri, [{"range": e["range"], "newText": e["newText"]}
                                for e in sorted(edits, key=lambda e: (e["range"]["start"]["line"],
                                                                      e["range"]["start"]["character"]),
                                                reverse=True)])
        assert '"inference_variables"' in ed.texts[uri].split("standardize=")[1]
        assert "BF108" not in by_code(after) and "BF101" in by_code(after)

        # hover on the BF101 range: the text of `bflint rule BF101`
        pos = by_code(after)["BF101"]["range"]["start"]
        hover = ed.c.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": pos})
        rule = subprocess.run([sys.executable, "-m", "bflint", "rule", "BF101"], capture_output=True,
                              text=True, timeout=60).stdout
        assert hover["contents"]["kind"] == "markdown"
        assert hover["contents"]["value"].strip() == rule.strip()
        assert ed.c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                   "position": {"line": 1, "character": 0}}) is None

        assert ed.c.shutdown() == 0
    finally:
        ed.close()


def test_noqa_action_suppresses(editor: Editor, project: Path):
    path = project / "a.py"
    path.write_text(SCRIPT)
    uri = editor.open(path)
    d = by_code(editor.last)["BF101"]
    actions = editor.code_actions(uri, d["range"])
    noqa = [a for a in actions if "noqa: BF101" in a["title"]]
    assert len(noqa) == 1 and not noqa[0].get("isPreferred")
    (e,) = noqa[0]["edit"]["changes"][uri]
    after = editor.change(uri, [e])
    assert "workflow = bf.BasicWorkflow(  # noqa: BF101\n" in editor.texts[uri]
    assert "BF101" not in by_code(after) and "BF108" in by_code(after)
    # a second code on the same line joins the same comment
    d = next(x for x in after if x["range"]["start"]["line"] == 3)
    (a,) = [a for a in editor.code_actions(uri, d["range"]) if f"noqa: {d['code']}" in a["title"]]
    editor.change(uri, a["edit"]["changes"][uri])
    assert f"# noqa: BF101, {d['code']}\n" in editor.texts[uri]


def test_unsafe_fix_not_preferred_and_fix_all(editor: Editor, project: Path):
    src = Path(__file__).resolve().parent.parent / "examples" / "common_mistakes.py"
    path = project / "m.py"
    path.write_text(src.read_text())
    uri = editor.open(path)
    d = by_code(editor.last)["BF305"]
    actions = [a for a in editor.code_actions(uri, d["range"])
               if a["kind"] == "quickfix" and a["diagnostics"][0]["code"] == "BF305"
               and "noqa" not in a["title"]]
    assert len(actions) == 1 and actions[0]["isPreferred"] is False
    assert "unsafe" in actions[0]["title"]
    # no source action unless asked for
    assert not [a for a in editor.code_actions(uri, d["range"]) if a["kind"].startswith("source")]


def test_fix_all_matches_cli_fix(editor: Editor, project: Path):
    path = project / "f.py"
    path.write_text(SCRIPT)
    uri = editor.open(path)
    (action,) = editor.code_actions(uri, rng(0, 0, 0, 0), only=["source.fixAll"])
    assert action["kind"] == "source.fixAll.bflint"
    fixed = apply(SCRIPT, action["edit"]["changes"][uri])
    subprocess.run([sys.executable, "-m", "bflint", "check", "--fix", "--no-cache", path.name],
                   cwd=project, capture_output=True, timeout=120)
    assert fixed == path.read_text() != SCRIPT


def test_notebook_cells_in_order(editor: Editor, project: Path):
    """notebookDocument sync: cells in order (a name bound in cell 1 is
    known in cell 3), each diagnostic on its own cell, rows of that cell."""
    nb_uri = (project / "nb.ipynb").as_uri()
    cells = [
        ("import bayesflow as bf\nadapter = bf.Adapter()\n", 2),
        ("# Training\nSome *markdown* with BasicWorkflow(", 1),
        ('%matplotlib inline\nwf = bf.BasicWorkflow(adapter=adapter, inference_variables=["theta"],\n'
         '                      standardize="inference_variable")\n', 2),
    ]
    cell_uris = [f"vscode-notebook-cell:{project / 'nb.ipynb'}#cell{i}" for i in range(3)]
    mark = len(editor.c.notifications)
    editor.c.notify("notebookDocument/didOpen", {
        "notebookDocument": {"uri": nb_uri, "notebookType": "jupyter-notebook", "version": 1,
                             "cells": [{"kind": k, "document": u} for (t, k), u in zip(cells, cell_uris)]},
        "cellTextDocuments": [{"uri": u, "languageId": "python" if k == 2 else "markdown",
                               "version": 1, "text": t}
                              for (t, k), u in zip(cells, cell_uris) if k == 2]})
    third = editor.c.wait_notification(DIAG, lambda p: p["uri"] == cell_uris[2], since=mark)
    first = editor.c.wait_notification(DIAG, lambda p: p["uri"] == cell_uris[0], since=mark)
    assert first["diagnostics"] == []
    codes = by_code(third["diagnostics"])
    assert "BF101" in codes and codes["BF101"]["range"]["start"] == {"line": 1, "character": 5}

    # the same as `bflint check nb.ipynb` (cell numbers over all cells, rows in the cell)
    nb = {"cells": [{"cell_type": "code" if k == 2 else "markdown", "source": t, "metadata": {},
                     **({"outputs": [], "execution_count": None} if k == 2 else {})}
                    for t, k in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (project / "nb.ipynb").write_text(json.dumps(nb))
    cli = cli_json(project / "nb.ipynb", project)
    assert {(f["cell"], f["code"], f["location"]["row"], f["message"]) for f in cli} == \
        {(cell_uris.index(n["params"]["uri"]) + 1, d["code"], d["range"]["start"]["line"] + 1,
          d["message"]) for n in editor.c.notifications[mark:] if n["method"] == DIAG
         for d in n["params"]["diagnostics"]}

    # the safe fix of BF108 in cell 3 edits cell 3
    d = codes["BF108"]
    (fix,) = [a for a in editor.code_actions(cell_uris[2], d["range"])
              if a["diagnostics"][0]["code"] == "BF108" and "noqa" not in a["title"]]
    assert fix["isPreferred"] and list(fix["edit"]["changes"]) == [cell_uris[2]]
    new3 = apply(cells[2][0], fix["edit"]["changes"][cell_uris[2]])
    assert 'standardize="inference_variables"' in new3

    # editing cell 1 (drop the adapter): cell 3 is checked again with it
    mark = len(editor.c.notifications)
    editor.c.notify("notebookDocument/didChange", {
        "notebookDocument": {"uri": nb_uri, "version": 2},
        "change": {"cells": {"textContent": [{
            "document": {"uri": cell_uris[2], "version": 2},
            "changes": [{"range": rng(0, 0, 3, 0), "text": "wf = 1\n"}]}]}}})
    third = editor.c.wait_notification(DIAG, lambda p: p["uri"] == cell_uris[2], since=mark)
    assert third["diagnostics"] == []

    mark = len(editor.c.notifications)
    editor.c.notify("notebookDocument/didClose", {
        "notebookDocument": {"uri": nb_uri}, "cellTextDocuments": [{"uri": u} for u in cell_uris]})
    cleared = editor.c.wait_notification(DIAG, lambda p: p["uri"] == cell_uris[2], since=mark)
    assert cleared["diagnostics"] == []


def test_never_crashes_and_never_runs(editor: Editor, project: Path):
    marker = project / "ran.txt"
    text = (f"import bayesflow as bf\nopen({str(marker)!r}, 'w').write('x')\n"
            "wf = bf.BasicWorkflow(adapter=bf.Adapter(), inference_variables=['a']\n")
    uri = editor.open(project / "half.py", text)
    assert [d["code"] for d in editor.last] == ["BF000"]
    # junk, NULs, a lone surrogate's replacement, deep nesting: each still one answer
    for junk in ["\x00\x00 def (", "(" * 5000, "import bayesflow as bf\n" + "if x:\n" * 3,
                 "import bayesflow as bf\n\ud7ff = '\u2028'\n"]:
        diags = editor.change(uri, [{"range": rng(0, 0, 99999, 0), "newText": junk}])
        assert all(d["code"] in ("BF000", "BF999") for d in diags), diags
    assert not marker.exists()
    assert editor.c.request("shutdown") is None


def test_config_from_the_documents_folder(editor: Editor, project: Path):
    """A nested [tool.bflint] applies to the files below it, as for the CLI."""
    sub = project / "sub"
    sub.mkdir()
    (sub / "bflint.toml").write_text('ignore = ["BF101"]\n')
    (sub / "t.py").write_text(SCRIPT)
    editor.open(sub / "t.py")
    assert "BF101" not in by_code(editor.last) and "BF108" in by_code(editor.last)
    (project / "t.py").write_text(SCRIPT)
    editor.open(project / "t.py")
    assert "BF101" in by_code(editor.last)


def test_utf16_columns(editor: Editor, project: Path):
    """Columns are UTF-16 units: a non-BMP character before the finding counts twice."""
    text = SCRIPT.replace("workflow = bf", "s = '\U0001F600\u00e9'; workflow = bf")
    editor.open(project / "u.py", text)
    d = by_code(editor.last)["BF101"]
    start = text.splitlines()[3].index("bf.BasicWorkflow")
    assert d["range"]["start"] == {"line": 3, "character": start + 1}


def test_server_command_without_pygls(tmp_path: Path):
    """Without the extra, `bflint server` says how to install it (exit 2)."""
    shadow = tmp_path / "shadow"
    (shadow / "pygls").mkdir(parents=True)
    (shadow / "pygls" / "__init__.py").write_text("raise ImportError('no pygls', name='pygls')\n")
    import os

    env = dict(os.environ, PYTHONPATH=str(shadow))
    proc = subprocess.run([sys.executable, "-m", "bflint", "server"], capture_output=True, text=True,
                          env=env, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and 'pip install "bflint[server]"' in proc.stderr


def test_config_change_rechecks_open_documents(project: Path):
    """Saving a configuration re-checks what is open: through the file watcher
    the server registers, and through didSave when the editor edits the file."""
    c = StdioClient([sys.executable, "-m", "bflint", "server"], cwd=str(project))
    try:
        caps = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
                "textDocument": {"synchronization": {"didSave": True}}}
        c.initialize(project.as_uri(), capabilities=caps)
        path = project / "t.py"
        path.write_text(SCRIPT)
        uri = path.as_uri()
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": SCRIPT}})
        first = c.wait_notification(DIAG, lambda p: p["uri"] == uri)
        assert "BF101" in by_code(first["diagnostics"])
        reg = [r for r in c.server_requests if r["method"] == "client/registerCapability"]
        assert reg, c.server_requests
        watchers = reg[0]["params"]["registrations"][0]["registerOptions"]["watchers"]
        assert {w["globPattern"] for w in watchers} == {"**/pyproject.toml", "**/bflint.toml"}

        # the file changes on disk: the client reports it through the watcher
        pyproject = project / "pyproject.toml"
        pyproject.write_text('[tool.bflint]\nignore = ["BF302", "BF101"]\n')
        mark = len(c.notifications)
        c.notify("workspace/didChangeWatchedFiles",
                 {"changes": [{"uri": pyproject.as_uri(), "type": 2}]})
        again = c.wait_notification(DIAG, lambda p: p["uri"] == uri, since=mark)
        assert "BF101" not in by_code(again["diagnostics"])
        assert "BF108" in by_code(again["diagnostics"])

        # the configuration is open in the editor (a TOML document: never linted) and saved
        toml = '[tool.bflint]\nignore = ["BF302", "BF108"]\n'
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": pyproject.as_uri(), "languageId": "toml", "version": 1,
            "text": pyproject.read_text()}})
        pyproject.write_text(toml)
        mark = len(c.notifications)
        c.notify("textDocument/didSave", {"textDocument": {"uri": pyproject.as_uri()}})
        third = c.wait_notification(DIAG, lambda p: p["uri"] == uri, since=mark)
        assert "BF101" in by_code(third["diagnostics"])
        assert "BF108" not in by_code(third["diagnostics"])
        assert not [n for n in c.notifications if n["method"] == DIAG
                    and n["params"]["uri"] == pyproject.as_uri()]
        assert c.shutdown() == 0
    finally:
        if not c.stderr.closed:
            c.close()


def test_cancelled_request_leaves_the_server_working(editor: Editor, project: Path):
    """$/cancelRequest on a code action: an answer (result or RequestCancelled)
    comes back, and the next request is served."""
    uri = editor.open(project / "c.py", SCRIPT)
    c = editor.c
    c._next += 1
    rid = c._next
    c._send({"jsonrpc": "2.0", "id": rid, "method": "textDocument/codeAction",
             "params": {"textDocument": {"uri": uri}, "range": rng(0, 0, 9, 0),
                        "context": {"diagnostics": []}}})
    c.notify("$/cancelRequest", {"id": rid})
    answer = c._wait(lambda m: m.get("id") == rid, 30, "the cancelled request's answer")
    assert "result" in answer or answer["error"]["code"] == -32800
    assert editor.code_actions(uri, rng(3, 0, 3, 30))


# -- a real editor: Neovim, headless, with the README's configuration -------------------

NVIM_DRIVE = r"""
local out = {}
local function say(s) table.insert(out, s) end
vim.wait(30000, function() return #vim.diagnostic.get(0) >= 2 end, 50)
local client = vim.lsp.get_clients({ bufnr = 0 })[1]
say('client ' .. (client and client.name or '-'))
for _, d in ipairs(vim.diagnostic.get(0)) do say('diag ' .. d.code .. ' ' .. (d.lnum + 1)) end
local d1 = vim.diagnostic.get(0)[1]
local uri = vim.uri_from_bufnr(0)
local h = client:request_sync('textDocument/hover',
  { textDocument = { uri = uri }, position = { line = d1.lnum, character = d1.col } }, 20000, 0)
say('hover ' .. ((h and h.result and h.result.contents.value:match('^[^\n]+')) or 'none'))
local fa = client:request_sync('textDocument/codeAction', { textDocument = { uri = uri },
  range = { start = { line = 0, character = 0 }, ['end'] = { line = 0, character = 0 } },
  context = { diagnostics = {}, only = { 'source.fixAll.bflint' } } }, 20000, 0)
local action = fa and fa.result and fa.result[1]
if action then
  say('action ' .. action.title)
  -- the README's command, as a user types it
  vim.cmd([[README_FIX_ALL]])
  vim.wait(20000, function()
    for _, d in ipairs(vim.diagnostic.get(0)) do if d.code == 'BF108' then return false end end
    return true end, 50)
  for _, d in ipairs(vim.diagnostic.get(0)) do say('after ' .. d.code) end
  say('line ' .. vim.api.nvim_buf_get_lines(0, 7, 8, false)[1])
end
vim.fn.writefile(out, vim.env.BFLINT_NVIM_OUT)
vim.cmd('qa!')
"""


def _nvim() -> str | None:
    import os
    import shutil

    exe = os.environ.get("BFLINT_NVIM") or shutil.which("nvim")
    if not exe:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    try:
        major, minor = (int(x) for x in out.split()[1].lstrip("v").split(".")[:2])
    except (IndexError, ValueError):
        return None
    return exe if (major, minor) >= (0, 11) else None


def test_neovim_headless(project: Path, tmp_path_factory):
    """Neovim >= 0.11 with the README's init.lua, word for word: diagnostics,
    hover, fix all applied to the buffer, diagnostics of the edited buffer."""
    import os
    import re

    exe = _nvim()
    if exe is None:
        pytest.skip("Neovim >= 0.11 not found (set BFLINT_NVIM or put nvim on PATH)")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("**Neovim**", 1)[1]
    init = re.search(r"```lua\n(.*?)```", section, re.S).group(1)
    conf = tmp_path_factory.mktemp("nvim")
    (conf / "init.lua").write_text(init)
    fix_all = re.search(r"Fix all \(.*?\):\n`(:lua .*?)`", section, re.S).group(1)
    (conf / "drive.lua").write_text(NVIM_DRIVE.replace("README_FIX_ALL", fix_all[1:]))
    (project / "train.py").write_text(SCRIPT)
    out = conf / "out.txt"
    env = dict(os.environ, BFLINT_NVIM_OUT=str(out), XDG_STATE_HOME=str(conf),
               XDG_DATA_HOME=str(conf), PATH=f"{Path(sys.executable).parent}{os.pathsep}"
               + os.environ.get("PATH", ""))
    subprocess.run([exe, "--headless", "-u", str(conf / "init.lua"), "train.py",
                    "-c", f"luafile {conf / 'drive.lua'}"], cwd=project, env=env,
                   timeout=120, stdin=subprocess.DEVNULL, capture_output=True)
    said = out.read_text().splitlines()
    assert said[0] == "client bflint"
    assert {"diag BF101 4", "diag BF108 4"} <= set(said), said
    assert "hover # adapter-with-shorthand (BF101)" in said
    assert "action bflint: fix all auto-fixable problems" in said
    assert "after BF101" in said and "after BF108" not in said
    assert 'line     standardize="inference_variables",' in said


# -- JupyterLab's server side: jupyter-lsp with the README's configuration ---------------

JUPYTER_DRIVE = r"""
import json, sys, time
from tornado import ioloop, websocket

async def main(cfg):
    ws = await websocket.websocket_connect(cfg["url"])
    out = {}

    async def send(msg):
        await ws.write_message(json.dumps(msg))

    async def wait(pred, timeout=60):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = await ws.read_message()
            if m is None:
                raise SystemExit("websocket closed")
            m = json.loads(m)
            if pred(m):
                return m
        raise SystemExit("timeout")

    def diags(uri, version):
        return lambda m: (m.get("method") == "textDocument/publishDiagnostics"
                          and m["params"]["uri"] == uri and m["params"].get("version") == version)

    await send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": None, "rootUri": cfg["root"], "capabilities": {"textDocument": {
            "publishDiagnostics": {}, "hover": {"contentFormat": ["markdown"]}}}}})
    out["server"] = (await wait(lambda m: m.get("id") == 1))["result"]["serverInfo"]["name"]
    await send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    uri = cfg["uri"]
    await send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "python", "version": 0, "text": cfg["text"]}}})
    d = (await wait(diags(uri, 0)))["params"]["diagnostics"]
    out["opened"] = [(x["code"], x["range"]["start"]["line"]) for x in d]
    await send({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri}, "position": d[0]["range"]["start"]}})
    out["hover"] = (await wait(lambda m: m.get("id") == 2))["result"]["contents"]["value"]
    # jupyterlab-lsp sends the whole virtual document on each change
    await send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 1}, "contentChanges": [{"text": cfg["changed"]}]}})
    d = (await wait(diags(uri, 1)))["params"]["diagnostics"]
    out["changed"] = [(x["code"], x["range"]["start"]["line"]) for x in d]
    await send({"jsonrpc": "2.0", "id": 3, "method": "shutdown", "params": None})
    await wait(lambda m: m.get("id") == 3)
    await send({"jsonrpc": "2.0", "method": "exit", "params": None})
    ws.close()
    print(json.dumps(out))

ioloop.IOLoop.current().run_sync(lambda: main(json.load(sys.stdin)))
"""


def _jupyter() -> str | None:
    """A ``jupyter`` whose Python has jupyter-lsp (BFLINT_JUPYTER, else PATH)."""
    import os
    import shutil

    exe = os.environ.get("BFLINT_JUPYTER") or shutil.which("jupyter")
    if not exe:
        return None
    python = Path(exe).with_name("python")
    if not python.exists():
        return None
    ok = subprocess.run([str(python), "-c", "import jupyter_lsp, jupyter_server, tornado"],
                        capture_output=True, timeout=60).returncode == 0
    return exe if ok else None


def test_jupyter_lsp_headless(tmp_path: Path):
    """The Jupyter server with jupyter-lsp and the README's
    jupyter_server_config.json, word for word: /lsp/status lists bflint, and a
    session over jupyter-lsp's websocket, with a notebook's cells as
    jupyterlab-lsp sends them (one virtual document), gets the CLI's
    diagnostics, a hover and the diagnostics of the changed document."""
    import os
    import re
    import socket
    import time
    import urllib.request

    exe = _jupyter()
    if exe is None:
        pytest.skip("jupyter with jupyter-lsp not found (set BFLINT_JUPYTER or put jupyter on PATH)")
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("**JupyterLab**", 1)[1]
    config = re.search(r"```json\n(.*?)```", section, re.S).group(1)
    conf, root = tmp_path / "conf", tmp_path / "root"
    conf.mkdir()
    (root / ".git").mkdir(parents=True)
    (conf / "jupyter_server_config.json").write_text(config)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(conf), JUPYTER_DATA_DIR=str(tmp_path / "data"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}" + os.environ.get("PATH", ""))
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([exe, "server", "--no-browser", "--allow-root", "--ip=127.0.0.1",
                               f"--port={port}", "--IdentityProvider.token=t",
                               f"--ServerApp.root_dir={root}"], env=env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        status = None
        deadline = time.monotonic() + 120
        while status is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/lsp/status?token=t",
                                            timeout=5) as r:
                    status = json.loads(r.read())
            except OSError:
                time.sleep(0.5)
        assert status is not None, (tmp_path / "server.log").read_text()[-3000:]
        assert "bflint" in status["sessions"], sorted(status["sessions"])
        cells = ["import bayesflow as bf",
                 'adapter = bf.Adapter().concatenate(["theta"], into="inference_variables")',
                 SCRIPT.split("\n\n", 1)[1].split("\n", 1)[1].strip()]
        text = "\n\n\n".join(cells) + "\n"
        cfg = {"url": f"ws://127.0.0.1:{port}/lsp/ws/bflint?token=t", "root": root.as_uri(),
               "uri": (root / ".virtual_documents" / "nb.ipynb").as_uri(), "text": text,
               "changed": text.replace('"inference_variable"', '"inference_variables"')}
        run = subprocess.run([str(Path(exe).with_name("python")), "-c", JUPYTER_DRIVE],
                             input=json.dumps(cfg), capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-3000:]
        out = json.loads(run.stdout)
        assert out["server"] == "bflint"
        assert {c for c, _ in out["opened"]} == {"BF101", "BF108"}, out
        assert all(line == 6 for _, line in out["opened"]), out  # the third cell's first line
        assert out["hover"].startswith("# adapter-with-shorthand (BF101)")
        assert [c for c, _ in out["changed"]] == ["BF101"], out
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


TARGET_SCRIPT = """\
import bayesflow as bf
wf = bf.BasicWorkflow(inference_network=bf.networks.CouplingFlow(), standardize="all")
est = wf.approximator
loaded = wf.load_approximator
x = bf.BasicEstimator
"""


def test_target_bayesflow_as_the_cli(tmp_path: Path):
    """The BayesFlow series a document is judged against is the CLI's:
    target-bayesflow in [tool.bflint], else the project's pin, else 2.1."""
    for pin, expected_rows in (("", [3, 4]), ('target-bayesflow = "2.0"\n', [5])):
        root = tmp_path / f"p{len(pin)}"
        root.mkdir()
        (root / ".git").mkdir()
        (root / "pyproject.toml").write_text('[tool.bflint]\nselect = ["BF9"]\n' + pin)
        path = root / "train.py"
        path.write_text(TARGET_SCRIPT)
        ed = Editor(root)
        try:
            ed.open(path)
            got = sorted(d["range"]["start"]["line"] + 1 for d in ed.last if d["code"] == "BF903")
            cli = sorted(f["location"]["row"] for f in cli_json(path, root) if f["code"] == "BF903")
            assert got == cli == expected_rows, (pin, got, cli)
        finally:
            ed.close()


# -- project-wide analysis in the editor (issue 14: issue 12's analysis, live) ------

MODEL_SETTINGS = '''import bayesflow as bf
import numpy as np


def prior():
    mu = np.random.normal(0.0, 1.0)
    sigma = np.random.gamma(2.0, 1.0)
    return dict(mu=mu, sigma=sigma)


def likelihood(mu, sigma):
    return dict(x=np.random.normal(mu, sigma, size=50))


def create_adapter():
    return (
        bf.Adapter()
        .as_set(["x"])
        .concatenate(["mu", "sigma"], into="inference_variables")
        .concatenate(["x"], into="summary_variables")
    )
'''
CONSTRAINED = MODEL_SETTINGS.replace('.as_set(["x"])\n',
                                     '.as_set(["x"])\n        .constrain("sigma", lower=0)\n')
WORKFLOW = '''import bayesflow as bf

from model_settings import create_adapter, likelihood, prior

workflow = bf.BasicWorkflow(
    simulator=bf.make_simulator([prior, likelihood]),
    adapter=create_adapter(),
    summary_network=bf.networks.SetTransformer(),
    standardize="all",
)
'''
WATCHING = {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True}},
            "textDocument": {"synchronization": {"didSave": True},
                             "publishDiagnostics": {"relatedInformation": True}}}


def _bf103(diags: list[dict]) -> list[dict]:
    return [d for d in diags if d["code"] == "BF103"]


def test_project_modules_and_their_changes_recheck_importers(tmp_path: Path):
    """workflow.py imports an adapter from model_settings.py, where the cause of
    its BF103 lies: the server reports what ``bflint check workflow.py`` does
    (the other module named), and every change of model_settings.py -- on disk
    (the watcher the server registers), typed in the editor, closed unsaved,
    broken, deleted, created again -- re-publishes workflow.py's diagnostics
    without any change of workflow.py."""
    (tmp_path / "pyproject.toml").write_text("[tool.bflint]\n")
    settings, workflow = tmp_path / "model_settings.py", tmp_path / "workflow.py"
    settings.write_text(MODEL_SETTINGS)
    workflow.write_text(WORKFLOW)
    c = StdioClient([sys.executable, "-m", "bflint", "server"], cwd=str(tmp_path))
    wf_uri, ms_uri = workflow.as_uri(), settings.as_uri()

    def republished(mark: int) -> list[dict]:
        p = c.wait_notification(DIAG, lambda p: p["uri"] == wf_uri, since=mark, timeout=30)
        assert p.get("version") == 1  # workflow.py itself never changed
        return p["diagnostics"]

    def on_disk(text: str | None, kind: int = 2) -> list[dict]:
        if text is None:
            settings.unlink()
        else:
            settings.write_text(text)
        mark = len(c.notifications)
        c.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": ms_uri, "type": kind}]})
        return republished(mark)

    try:
        c.initialize(tmp_path.as_uri(), capabilities=WATCHING)
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": wf_uri, "languageId": "python", "version": 1, "text": WORKFLOW}})
        first = c.wait_notification(DIAG, lambda p: p["uri"] == wf_uri)["diagnostics"]
        # the watcher for modules, registered dynamically as ruff's server does
        regs = [r for req in c.server_requests if req["method"] == "client/registerCapability"
                for r in req["params"]["registrations"]]
        globs = {w["globPattern"] for r in regs for w in r["registerOptions"]["watchers"]}
        assert "**/*.py" in globs, regs

        # the CLI's findings, cross-module ones included, with the cause's place
        cli = cli_json(workflow, tmp_path)
        assert sorted((d["range"]["start"]["line"] + 1, d["code"], d["message"]) for d in first) \
            == sorted((f["location"]["row"], f["code"], f["message"]) for f in cli)
        [bf103] = _bf103(first)
        assert "(the cause is in model_settings.py:7)" in bf103["message"]
        [rel] = bf103["relatedInformation"]
        assert rel["location"]["uri"] == ms_uri and rel["location"]["range"]["start"]["line"] == 6

        # 1. model_settings.py changes on disk (not open): the watcher's event
        assert not _bf103(on_disk(CONSTRAINED))
        assert _bf103(on_disk(MODEL_SETTINGS))

        # 2. model_settings.py open in the editor: its unsaved buffer is what importers see
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": ms_uri, "languageId": "python", "version": 1, "text": MODEL_SETTINGS}})
        c.wait_notification(DIAG, lambda p: p["uri"] == ms_uri)
        version = 1

        def typed(text: str) -> list[dict]:
            nonlocal version
            version += 1
            mark = len(c.notifications)
            c.notify("textDocument/didChange", {"textDocument": {"uri": ms_uri, "version": version},
                                                "contentChanges": [{"text": text}]})
            return republished(mark)

        assert not _bf103(typed(CONSTRAINED))
        assert settings.read_text() == MODEL_SETTINGS  # nothing saved
        assert _bf103(typed(MODEL_SETTINGS))
        # a half-typed module: its importer keeps working (no crash, no BF999; the
        # module's values are unknown, as to the CLI)
        broken = typed(MODEL_SETTINGS.replace("def prior():", "def prior(:"))
        assert not [d for d in broken if d["code"] in ("BF000", "BF999")] and not _bf103(broken)
        assert _bf103(typed(MODEL_SETTINGS))
        assert not _bf103(typed(CONSTRAINED))
        # saved, then closed: the file is what it imports
        settings.write_text(CONSTRAINED)
        c.notify("textDocument/didSave", {"textDocument": {"uri": ms_uri}})
        assert _bf103(typed(MODEL_SETTINGS))  # unsaved again
        mark = len(c.notifications)
        c.notify("textDocument/didClose", {"textDocument": {"uri": ms_uri}})
        assert not _bf103(republished(mark))  # closed without saving: the saved file again

        # 3. a module that goes away and comes back (the import resolves again)
        assert _bf103(on_disk(MODEL_SETTINGS))
        gone = on_disk(None, kind=3)
        assert not _bf103(gone) and not [d for d in gone if d["code"] in ("BF000", "BF999")]
        assert _bf103(on_disk(MODEL_SETTINGS, kind=1))

        # 4. a client that does not watch files: the next check of workflow.py sees the
        # module's new content (stat stamps), here after an undo back to its first text
        settings.write_text(CONSTRAINED)
        for v, text in ((2, WORKFLOW + "# edited\n"), (3, WORKFLOW)):
            mark = len(c.notifications)
            c.notify("textDocument/didChange", {"textDocument": {"uri": wf_uri, "version": v},
                                                "contentChanges": [{"text": text}]})
            p = c.wait_notification(DIAG, lambda p, v=v: p["uri"] == wf_uri and p.get("version") == v,
                                    since=mark)
            assert not _bf103(p["diagnostics"])
        assert c.shutdown() == 0
    finally:
        if not c.stderr.closed:
            c.close()


PROJECT_FILES = sorted((Path(__file__).parent / "projects").rglob("*.py"))


def test_project_fixtures_as_the_cli(tmp_path: Path):
    """Each file of the fixture projects (relative imports, ``sys.path.append``,
    a module with a syntax error, an import cycle), opened in the editor, gets
    the findings of ``bflint check FILE``."""
    import shutil

    root = tmp_path / "projects"
    shutil.copytree(Path(__file__).parent / "projects", root)
    ed = Editor(root)
    elsewhere = 0
    try:
        for src in PROJECT_FILES:
            path = root / src.relative_to(Path(__file__).parent / "projects")
            ed.open(path)
            got = sorted((d["range"]["start"]["line"] + 1, d["code"], d["message"]) for d in ed.last)
            cli = sorted((f["location"]["row"], f["code"], f["message"])
                         for f in cli_json(path, path.parent))
            assert got == cli, path
            elsewhere += sum("the cause is in" in m for _, _, m in got)
        assert elsewhere >= 3  # findings whose cause is in another module
    finally:
        ed.close()


def test_notebook_follows_project_modules(tmp_path: Path):
    """A notebook's cells import from model_settings.py: the CLI's cross-module
    finding on its cell; an unsaved edit of the open module re-publishes the cell."""
    (tmp_path / "pyproject.toml").write_text("[tool.bflint]\n")
    (tmp_path / "model_settings.py").write_text(MODEL_SETTINGS)
    cells = ["import bayesflow as bf\nfrom model_settings import create_adapter, likelihood, prior\n",
             WORKFLOW.split("\n\n", 2)[2]]
    nb_path = tmp_path / "train.ipynb"
    nb_path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "source": t, "metadata": {}, "outputs": [],
                   "execution_count": None} for t in cells],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    cell_uris = [f"vscode-notebook-cell:{nb_path}#cell{i}" for i in range(2)]
    ed = Editor(tmp_path)
    c = ed.c
    try:
        mark = len(c.notifications)
        c.notify("notebookDocument/didOpen", {
            "notebookDocument": {"uri": nb_path.as_uri(), "notebookType": "jupyter-notebook",
                                 "version": 1, "cells": [{"kind": 2, "document": u} for u in cell_uris]},
            "cellTextDocuments": [{"uri": u, "languageId": "python", "version": 1, "text": t}
                                  for u, t in zip(cell_uris, cells)]})
        second = c.wait_notification(DIAG, lambda p: p["uri"] == cell_uris[1], since=mark)
        [bf103] = _bf103(second["diagnostics"])
        [cli] = [f for f in cli_json(nb_path, tmp_path) if f["code"] == "BF103"]
        assert (cli["cell"], cli["location"]["row"], cli["message"]) == (
            2, bf103["range"]["start"]["line"] + 1, bf103["message"])
        assert "(the cause is in model_settings.py:7)" in bf103["message"]

        ms = ed.open(tmp_path / "model_settings.py")
        mark = len(c.notifications)
        c.notify("textDocument/didChange", {"textDocument": {"uri": ms, "version": 2},
                                            "contentChanges": [{"text": CONSTRAINED}]})
        again = c.wait_notification(DIAG, lambda p: p["uri"] == cell_uris[1], since=mark)
        assert not _bf103(again["diagnostics"])
    finally:
        ed.close()


def _cli_cached(path: Path, cwd: Path) -> list[dict]:
    proc = subprocess.run([sys.executable, "-m", "bflint", "check", "--format", "json", path.name],
                          cwd=cwd, capture_output=True, text=True, timeout=120)
    return json.loads(proc.stdout)


def test_result_cache_shared_with_the_cli_carries_dependencies(tmp_path: Path, monkeypatch):
    """The server and the CLI share ``.bflint_cache``: an entry either writes
    holds the project modules it was computed with, so the other notices when
    only model_settings.py changed; an unsaved change of an open module is
    never read from (nor written to) the cache."""
    from bflint.server import core

    (tmp_path / "pyproject.toml").write_text("[tool.bflint]\n")
    ms, wf = tmp_path / "model_settings.py", tmp_path / "workflow.py"
    ms.write_text(MODEL_SETTINGS)
    wf.write_text(WORKFLOW)
    (tmp_path / ".bflint_cache").mkdir()

    def codes(found) -> set[str]:
        return {f.code if hasattr(f, "code") else f["code"] for f in found}

    # the server writes the entry: the CLI reads it, and drops it once the module changed
    linter = core.Linter()
    settings = linter.settings.for_path(str(wf))
    assert codes(linter.findings(WORKFLOW, str(wf), settings, disk=str(wf))) == {"BF103"}
    assert str(ms) in linter.deps[str(wf)]
    assert codes(_cli_cached(wf, tmp_path)) == {"BF103"}
    ms.write_text(CONSTRAINED)
    assert codes(_cli_cached(wf, tmp_path)) == set()
    ms.write_text(MODEL_SETTINGS)
    assert codes(_cli_cached(wf, tmp_path)) == {"BF103"}  # the CLI's entry now

    # a new server reads the CLI's entry (never analysing) and learns what it depends on
    linter = core.Linter()

    def never(*args, **kwargs):
        raise AssertionError("analysed: the cache entry was not used")

    monkeypatch.setattr(core.engine, "check_source", never)
    assert codes(linter.findings(WORKFLOW, str(wf), settings, disk=str(wf))) == {"BF103"}
    assert str(ms) in linter.deps[str(wf)]
    monkeypatch.undo()
    # model_settings.py open with unsaved changes: its buffer decides, not the cache
    linter.index.open_buffer(str(ms), MODEL_SETTINGS)
    linter.index.change_buffer(str(ms), CONSTRAINED)
    assert codes(linter.findings(WORKFLOW, str(wf), settings, disk=str(wf))) == set()
    assert codes(_cli_cached(wf, tmp_path)) == {"BF103"}  # the saved files' entry is intact


def test_an_edit_elsewhere_in_a_module_keeps_the_importers_result(tmp_path: Path, monkeypatch):
    """What workflow.py takes from model_settings.py decides (the summary
    fingerprints of the CLI's cache): a function added elsewhere in the open
    module does not analyse workflow.py again; an edit of the adapter does."""
    from bflint.server import core

    (tmp_path / "pyproject.toml").write_text("[tool.bflint]\n")
    ms, wf = tmp_path / "model_settings.py", tmp_path / "workflow.py"
    ms.write_text(MODEL_SETTINGS)
    wf.write_text(WORKFLOW)
    linter = core.Linter()
    settings = linter.settings.for_path(str(wf))
    linter.index.open_buffer(str(ms), MODEL_SETTINGS)
    first = linter.findings(WORKFLOW, str(wf), settings)
    assert [f.code for f in first] == ["BF103"]
    linter.index.change_buffer(str(ms), MODEL_SETTINGS + "\n\ndef unused():\n    return 1\n")
    analysed = []
    check = core.engine.check_source
    monkeypatch.setattr(core.engine, "check_source", lambda *a, **k: analysed.append(1) or check(*a, **k))
    assert linter.findings(WORKFLOW, str(wf), settings) == first and not analysed
    linter.index.change_buffer(str(ms), CONSTRAINED)
    assert linter.findings(WORKFLOW, str(wf), settings) == [] and analysed


RUN_SCRIPT = '''from model_settings import create_workflow

workflow = create_workflow()
history = workflow.fit_online(epochs=10, batch_size=32, num_batches_per_epoch=100)
'''
BF_WORKFLOW_MODULE = '''import bayesflow as bf


def create_workflow():
    return bf.BasicWorkflow(
        simulator=bf.make_simulator([lambda: dict(x=1.0)]),
        inference_network=bf.networks.CouplingFlow(),
        inference_variables=["x"],
        standardize="all",
    )
'''


def test_a_module_that_starts_to_matter_rechecks_its_importer(tmp_path: Path):
    """run.py never mentions BayesFlow (the text pre-filter leaves it out) and
    imports a module that does not either; once that module builds a workflow
    (on disk, then typed in the editor) run.py gets the CLI's findings."""
    (tmp_path / "pyproject.toml").write_text("[tool.bflint]\n")
    ms, run = tmp_path / "model_settings.py", tmp_path / "run.py"
    plain = "def create_workflow():\n    return None\n"
    ms.write_text(plain)
    run.write_text(RUN_SCRIPT)
    c = StdioClient([sys.executable, "-m", "bflint", "server"], cwd=str(tmp_path))
    try:
        c.initialize(tmp_path.as_uri(), capabilities=WATCHING)
        c.notify("textDocument/didOpen", {"textDocument": {
            "uri": run.as_uri(), "languageId": "python", "version": 1, "text": RUN_SCRIPT}})
        assert c.wait_notification(DIAG, lambda p: p["uri"] == run.as_uri())["diagnostics"] == []
        for change in ("disk", "typed"):
            if change == "disk":
                ms.write_text(BF_WORKFLOW_MODULE)
                mark = len(c.notifications)
                c.notify("workspace/didChangeWatchedFiles",
                         {"changes": [{"uri": ms.as_uri(), "type": 2}]})
            else:
                ms.write_text(plain)  # back to the plain module (on disk): nothing again
                mark = len(c.notifications)
                c.notify("workspace/didChangeWatchedFiles",
                         {"changes": [{"uri": ms.as_uri(), "type": 2}]})
                got = c.wait_notification(DIAG, lambda p: p["uri"] == run.as_uri(), since=mark)
                assert got["diagnostics"] == []
                c.notify("textDocument/didOpen", {"textDocument": {
                    "uri": ms.as_uri(), "languageId": "python", "version": 1, "text": plain}})
                mark = len(c.notifications)
                c.notify("textDocument/didChange", {
                    "textDocument": {"uri": ms.as_uri(), "version": 2},
                    "contentChanges": [{"text": BF_WORKFLOW_MODULE}]})
            got = c.wait_notification(DIAG, lambda p: p["uri"] == run.as_uri(), since=mark)
            ms.write_text(BF_WORKFLOW_MODULE)
            cli = cli_json(run, tmp_path)
            assert cli and sorted((d["range"]["start"]["line"] + 1, d["code"])
                                  for d in got["diagnostics"]) == sorted(
                (f["location"]["row"], f["code"]) for f in cli), change
        assert c.shutdown() == 0
    finally:
        if not c.stderr.closed:
            c.close()


# -- the incremental parse and positions (bflint.server.incremental) --------------

def _edits(text: str, rng) -> str:
    """A random edit as typing makes them: a snippet inserted, characters
    deleted, a line removed, doubled or indented."""
    snippets = ["x", " ", "\n", "(", ")", "'''", "#c", "    ", "\t", "def g():\n    pass\n", ":",
                "y = 1\n", "\\\n", "if a:\n", "\r\n", "match x:\n    case 1:\n        pass\n", '"""',
                "# noqa: BF101", "bf.BasicWorkflow(adapter=a, inference_variables=['x'])\n", "else:\n"]
    lines = text.splitlines(keepends=True)
    pos = rng.randrange(len(text) + 1)
    op = rng.random()
    if op < 0.4:
        return text[:pos] + rng.choice(snippets) + text[pos:]
    if op < 0.7:
        return text[:pos] + text[pos + rng.randrange(1, 30):]
    li = rng.randrange(len(lines))
    if op < 0.85:
        return "".join(lines[:li] + ([lines[li]] * 2 if rng.random() < 0.5 else []) + lines[li + 1:])
    return "".join(lines[:li] + ["    " + lines[li]] + lines[li + 1:])


def _fixture_texts() -> list[tuple[str, str]]:
    root = Path(__file__).parent
    paths = sorted((root / "fixtures").rglob("*.py")) + sorted((root.parent / "examples").glob("*.py"))
    out = []
    for p in paths:
        text = p.read_text(encoding="utf-8")
        if text.count("\n") >= 15 and "bayesflow" in text:
            out.append((str(p), text))
    return out


def test_incremental_parse_is_the_full_parse():
    """Random edits of the fixtures, one after another: the tree a
    Document splices is the full parse's (deep_equals), its nesting guard
    the whole text's, the findings with the Document are the findings
    without it, and most edits are spliced."""
    import random

    import libcst as cst

    from bflint import engine, source
    from bflint.server.incremental import Document

    rng = random.Random(14)
    enabled = engine._enabled()
    texts = _fixture_texts()
    assert len(texts) > 40
    spliced = checked = guarded = 0
    for path, text in rng.sample(texts, 40):
        doc = Document()
        doc.parse(text)
        for _ in range(8):
            new = _edits(text, rng)
            try:
                full = cst.parse_module(new)
            except Exception:
                full = None
            before = doc.stats["incremental"]
            known = doc.known_guard(new)  # the nesting guard from the statements' measures
            if known is not None:
                guarded += 1
                assert known == source.nesting_guard(new), (path, new)
            try:
                got = doc.parse(new)
            except Exception:
                got = None
            assert (full is None) == (got is None), (path, new)
            if full is None:
                continue  # a broken text: the Document keeps the last tree that parsed
            assert full.deep_equals(got), (path, new)
            text = new
            if doc.stats["incremental"] > before:
                spliced += 1
                if spliced % 4 == 0:  # findings: the engine with and without the Document
                    checked += 1
                    assert engine.check_source(new, path, enabled, document=doc) \
                        == engine.check_source(new, path, enabled)
    assert spliced > 60 and checked > 10 and guarded > 60, (spliced, checked, guarded)


def test_incremental_falls_back_where_libcst_does_not_round_trip():
    """Whitespace before a backslash continuation alone on its line is lost
    by LibCST's code generation: line counts of generated statements are not
    the text's, so the Document parses such a text whole (a wrong splice cut
    a function in two before this check)."""
    import libcst as cst

    from bflint.server.incremental import Document

    body = "".join(f"def f{i}(a):\n    b = a + {i}\n    return b\n" for i in range(10))
    # f5 generates one line short: a splice of f5..f7 would end a line early
    text = body.replace("    b = a + 5\n", "    b = a + 5\n       \\\n    b = b\n")
    assert cst.parse_module(text).code != text  # the LibCST behaviour this guards against
    doc = Document()
    doc.parse(text)
    new = text.replace("a + 6", "a - 6")
    got = doc.parse(new)
    assert got.deep_equals(cst.parse_module(new))
    assert doc.stats["incremental"] == 0
    clean = body
    doc = Document()
    doc.parse(clean)
    new = clean.replace("b = a + 6", "b = a - 6")
    assert doc.parse(new).deep_equals(cst.parse_module(new))
    assert doc.stats["incremental"] == 1


def test_incremental_positions_are_the_engines():
    """Positions of every node of a spliced tree, from the per-statement
    cache, are those of bflint.positions (one pass over the module)."""
    import libcst as cst

    from bflint import positions as positions_mod
    from bflint.semantic.cst_util import walk
    from bflint.server.incremental import Document

    text = _fixture_texts()[0][1]
    for _, t in _fixture_texts():
        if t.count("\n") > text.count("\n"):
            text = t
    doc = Document()
    doc.parse(text)
    lines = text.splitlines(keepends=True)
    tops = [i for i in range(1, len(lines)) if lines[i - 1].strip() == "" and lines[i][:1].isalpha()]
    mid = tops[len(tops) // 2]
    new = "".join(lines[:mid] + ["extra = [1,\n   2]  # comment\n"] + lines[mid:])
    module = doc.parse(new)
    assert doc.stats["incremental"] == 1
    nodes = [n for n in walk(module) if n is not module]
    assert doc.positions(module, nodes) == positions_mod.positions(module, nodes)
    assert cst.parse_module(new).deep_equals(module)


def test_incremental_guard_leaves_limits_to_the_whole_text():
    """Measures near a limit: the Document does not judge (the whole text's
    guard says which limit a file passes and refuses it)."""
    from bflint import source
    from bflint.server.incremental import Document

    head = "".join(f"def f{i}(a):\n    return a\n" for i in range(8))
    tail = "".join(f"def g{i}(a):\n    return a\n" for i in range(8))
    chain = "x = " + " + ".join(["a"] * (source.MAX_NESTING + 5)) + "\n"
    doc = Document()
    doc.parse(head + "y = 1\n" + tail)
    text = head + chain + tail
    assert source.nesting_guard(text)[1] is not None  # refused
    assert doc.known_guard(text) is None
    small = head + "y = 2\n" + tail
    assert doc.known_guard(small) == source.nesting_guard(small)


def test_incremental_notebooks_as_the_cli():
    """Notebooks (LSP notebook sync, %load_ext bflint): the joined cells go
    through a Document; each cell edited in turn gives check_notebook's
    findings without it, and the splices happen."""
    import dataclasses
    import random

    from bflint import engine
    from bflint import notebook as nb_mod
    from bflint.server.incremental import Document

    rng = random.Random(3)
    enabled = engine._enabled()
    root = Path(__file__).parent / "fixtures"
    paths = sorted(root.rglob("*.ipynb"))
    assert paths
    spliced = 0
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        doc = Document()
        for _ in range(6):
            code = [c for c in nb["cells"] if c.get("cell_type") == "code"]
            if not code:
                break
            cell = rng.choice(code)
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cell["source"] = src + rng.choice(["\nzz = 1", "  # c", "\nbf.BasicWorkflow()", "\n(", ""])
            data = json.dumps(nb).encode()
            before = doc.stats["incremental"]
            got = nb_mod.check_notebook(data, str(path), enabled, document=doc)
            want = nb_mod.check_notebook(data, str(path), enabled)
            assert [dataclasses.astuple(f) for f in got] == [dataclasses.astuple(f) for f in want]
            spliced += doc.stats["incremental"] > before
    assert spliced > 5, spliced


def test_incremental_positions_leave_other_modules_nodes_out(monkeypatch):
    """A node of another module (a project module's cause, issue 12) has no
    position here and costs no code generation of this module (the whole
    pass, for the module's own header and footer only)."""
    import libcst as cst

    from bflint import positions as positions_mod
    from bflint.server.incremental import Document

    whole = positions_mod.positions
    asked: list = []

    def spy(module, nodes):
        asked.append(list(nodes))
        return whole(module, asked[-1])

    monkeypatch.setattr(positions_mod, "positions", spy)

    text = "# header\n" + "".join(f"x{i} = f({i})\n" for i in range(40)) + "# footer\n"
    doc = Document()
    module = doc.parse(text)
    other = cst.parse_module("y = g(1)\n")
    own = [module.body[3].body[0].value, module, module.header[0]]
    foreign = [other.body[0].body[0].value]
    doc.positions(module, own)  # every statement generated once
    before = doc.stats["generated"]
    asked.clear()
    got = doc.positions(module, own + foreign)
    assert asked == [own[1:]]  # the module and its header: not the other module's node
    assert got == whole(module, own + foreign)
    assert foreign[0] not in got and len(got) == 3
    assert doc.stats["generated"] == before
