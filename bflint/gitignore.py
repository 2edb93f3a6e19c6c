"""``.gitignore`` files read directly, never by running git (issue 16 item 2:
``git check-ignore`` honours the linted tree's own ``.git/config``, whose
``core.fsmonitor`` and similar settings run commands the tree chose).

The semantics are ruff's ``respect-gitignore`` (the ``ignore`` crate's, i.e.
git's):

* only inside a git work tree (a directory holding ``.git``, a directory or
  a worktree/submodule ``.git`` file) at or above the path;
* the ``.gitignore`` of every directory from the top of the work tree down,
  the deeper one winning, the last matching line of a file winning; then
  ``.git/info/exclude``; then the user's global excludes file
  (``core.excludesFile`` of the *user's* ``~/.gitconfig`` or
  ``$XDG_CONFIG_HOME/git/config`` -- never the tree's ``.git/config`` --,
  by default ``$XDG_CONFIG_HOME/git/ignore``);
* patterns: ``#`` comments, ``!`` negation, ``\\`` escapes, trailing spaces
  dropped unless escaped, a trailing ``/`` for directories only, a ``/`` at
  the start or in the middle anchors the pattern to its file's directory
  (otherwise it matches a name at any depth), ``*``, ``?``, ``[...]``
  (``[!...]``, ranges, ``[:alpha:]`` classes) never match ``/``; ``**/``,
  ``/**`` and ``/**/`` match any number of directories;
* a path below an ignored directory is ignored (git cannot re-include it);
* a nested repository (a directory with its own ``.git``) starts afresh.

Every pattern is compiled once; each ``.gitignore`` is read once per run
(without following a symlink in the tree, as git 2.32+, and never more than
``MAX_BYTES``).
"""

from __future__ import annotations

import os
import re
import stat

MAX_BYTES = 4 * 1024 * 1024
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)

_CLASSES = {
    "alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
    "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"), "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z", "xdigit": "0-9A-Fa-f",
}


def _bracket(pat: str, i: int) -> tuple[str, int] | None:
    """The regex of the bracket expression starting at ``pat[i] == '['``
    and the index after it; None when it is not closed (git then matches
    nothing with the whole pattern)."""
    j = i + 1
    negate = j < len(pat) and pat[j] in "!^"
    if negate:
        j += 1
    parts: list[str] = []
    first = True
    while j < len(pat):
        c = pat[j]
        if c == "]" and not first:
            body = "".join(parts)
            if negate:
                return f"[^/{body}]", j + 1
            return (f"(?!/)[{body}]" if body else "(?!)"), j + 1
        first = False
        if c == "[" and pat.startswith("[:", j):
            end = pat.find(":]", j + 2)
            if end != -1 and pat[j + 2:end] in _CLASSES:
                parts.append(_CLASSES[pat[j + 2:end]])
                j = end + 2
                continue
        if c == "\\" and j + 1 < len(pat):
            j += 1
            c = pat[j]
        # a range a-z (the end may be escaped too)
        if j + 2 < len(pat) and pat[j + 1] == "-" and pat[j + 2] != "]":
            k = j + 2
            end_c = pat[k]
            if end_c == "\\" and k + 1 < len(pat):
                k += 1
                end_c = pat[k]
            if ord(end_c) >= ord(c):
                parts.append(f"{_cls_escape(c)}-{_cls_escape(end_c)}")
            j = k + 1
            continue
        parts.append(_cls_escape(c))
        j += 1
    return None


def _cls_escape(c: str) -> str:
    return "\\" + c if c in "\\]^-[" else c


def translate(pat: str) -> str | None:
    """The regex (matched against the whole relative path) of a wildmatch
    pattern with git's pathname semantics; None: it can never match."""
    out: list[str] = []
    i, n = 0, len(pat)
    while i < n:
        c = pat[i]
        if c == "*":
            j = i
            while j < n and pat[j] == "*":
                j += 1
            if j - i >= 2 and (i == 0 or pat[i - 1] == "/") and (j == n or pat[j] == "/"):
                if j == n:
                    out.append(".*")       # `**` alone, `dir/**`: everything (inside)
                    i = j
                else:
                    out.append("(?:.*/)?")  # `**/`, `/**/`: any number of directories
                    i = j + 1
                continue
            out.append("[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            got = _bracket(pat, i)
            if got is None:
                return None
            out.append(got[0])
            i = got[1]
        elif c == "\\":
            if i + 1 < n:
                out.append(re.escape(pat[i + 1]))
                i += 2
            else:  # a trailing backslash matches nothing in git
                return None
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


class Pattern:
    __slots__ = ("line", "negate", "dir_only", "regex")

    def __init__(self, line: str, negate: bool, dir_only: bool, regex: "re.Pattern[str]"):
        self.line, self.negate, self.dir_only, self.regex = line, negate, dir_only, regex


def _trim(line: str) -> str:
    """Trailing spaces go unless escaped (git's trim_trailing_spaces)."""
    end = len(line)
    while end and line[end - 1] == " ":
        # count the backslashes before this space
        k = end - 1
        slashes = 0
        while k and line[k - 1] == "\\":
            slashes += 1
            k -= 1
        if slashes % 2:
            break
        end -= 1
    return line[:end]


def parse_line(raw: str) -> Pattern | None:
    line = raw[:-1] if raw.endswith("\r") else raw
    if not line or line.startswith("#"):
        return None
    line = _trim(line)
    negate = line.startswith("!")
    if negate:
        line = line[1:]
    dir_only = line.endswith("/") and not line.endswith("\\/")
    if dir_only:
        line = line.rstrip("/")
    if not line:
        return None
    anchored = "/" in line
    if line.startswith("/"):
        line = line[1:]
    body = translate(line)
    if body is None:
        return None
    if not anchored:
        body = "(?:.*/)?" + body
    try:
        regex = re.compile(f"(?:{body})\\Z", re.DOTALL)
    except re.error:
        return None
    return Pattern(raw, negate, dir_only, regex)


class RuleSet:
    """The patterns of one file, relative to ``base`` (an absolute
    directory); two combined regexes tell quickly when none matches."""

    __slots__ = ("base", "prefix", "patterns", "_any_file", "_any_dir")

    def __init__(self, base: str, patterns: list[Pattern]):
        self.base = base
        self.prefix = base.rstrip(os.sep) + os.sep
        self.patterns = patterns
        self._any_dir = _combine(patterns)
        self._any_file = _combine([p for p in patterns if not p.dir_only])

    def match(self, path: str, is_dir: bool) -> bool | None:
        """True: ignored; False: re-included (``!``); None: no pattern."""
        if not path.startswith(self.prefix):
            return None
        rel = path[len(self.prefix):]
        if os.sep != "/":
            rel = rel.replace(os.sep, "/")
        quick = self._any_dir if is_dir else self._any_file
        if quick is None or not quick.match(rel):
            return None
        for p in reversed(self.patterns):
            if (is_dir or not p.dir_only) and p.regex.match(rel):
                return not p.negate
        return None


def _combine(patterns: list[Pattern]) -> "re.Pattern[str] | None":
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p.regex.pattern})" for p in patterns), re.DOTALL)
    except (re.error, RecursionError, OverflowError):
        return re.compile("")  # always "maybe": the per-pattern loop decides


def parse(text: str, base: str) -> RuleSet | None:
    patterns = [p for p in map(parse_line, text.split("\n")) if p is not None]
    return RuleSet(base, patterns) if patterns else None


def read_file(path: str, follow: bool = True) -> str | None:
    """A small regular file's text; None when missing, not regular (a
    FIFO or device never blocks: opened non-blocking), too large or
    unreadable. ``follow=False``: a symlink is not followed (files in the
    tree, as git does)."""
    flags = os.O_RDONLY | _NONBLOCK | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_BYTES:
            return None
        data = os.read(fd, MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            return None
    except OSError:
        return None
    finally:
        os.close(fd)
    return data.decode("utf-8", "surrogateescape")


# -- the user's global excludes file ------------------------------------------------

def _config_value(text: str, section: str, key: str) -> str | None:
    """The last value of ``section.key`` in git-config syntax (enough of
    it: sections, quoted values, escapes, comments; includes are not
    followed)."""
    value = None
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            end = line.find("]")
            head = line[1:end if end != -1 else len(line)].strip()
            current = head.split(None, 1)[0].lower() if head else None
            if '"' not in head and "." in head:  # [core.sub] old syntax
                current = head.split(".", 1)[0].lower()
            line = line[end + 1:].strip() if end != -1 else ""
            if not line:
                continue
        if current != section:
            continue
        name, eq, rest = line.partition("=")
        if name.strip().lower() != key:
            continue
        if not eq:
            continue
        value = _config_string(rest.strip())
    return value


def _config_string(s: str) -> str:
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(s):
        c = s[i]
        if c == '"':
            quoted = not quoted
        elif c == "\\" and i + 1 < len(s):
            i += 1
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(s[i], s[i]))
        elif c in "#;" and not quoted:
            break
        else:
            out.append(c)
        i += 1
    return "".join(out).strip() if not quoted else "".join(out)


def global_excludes_path(environ: "os._Environ[str] | dict[str, str] | None" = None) -> str | None:
    """The user's global excludes file: ``core.excludesFile`` of the user's
    own git configuration (``$GIT_CONFIG_GLOBAL``, else
    ``$XDG_CONFIG_HOME/git/config`` then ``~/.gitconfig``, the later
    winning), else ``$XDG_CONFIG_HOME/git/ignore`` (``~/.config/git/ignore``)."""
    env = os.environ if environ is None else environ
    home = env.get("HOME") or os.path.expanduser("~")
    xdg = env.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    if env.get("GIT_CONFIG_GLOBAL"):
        configs = [env["GIT_CONFIG_GLOBAL"]]
    else:
        configs = [os.path.join(xdg, "git", "config"), os.path.join(home, ".gitconfig")]
    value = None
    for cfg in configs:
        text = read_file(cfg)
        if text is not None:
            v = _config_value(text, "core", "excludesfile")
            if v is not None:
                value = v
    if value:
        if value.startswith("~/") or value == "~":
            value = home + value[1:]
        return value
    return os.path.join(xdg, "git", "ignore")


def _git_common_dir(top: str) -> str | None:
    """The git directory holding ``info/exclude`` of the work tree ``top``."""
    dotgit = os.path.join(top, ".git")
    try:
        st = os.lstat(dotgit)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return dotgit
    if not stat.S_ISREG(st.st_mode):
        return None
    text = read_file(dotgit, follow=False)  # "gitdir: <path>" (worktrees, submodules)
    if not text or not text.startswith("gitdir:"):
        return None
    gitdir = text[len("gitdir:"):].strip()
    gitdir = os.path.normpath(os.path.join(top, gitdir))
    common = read_file(os.path.join(gitdir, "commondir"))
    if common and common.strip():
        return os.path.normpath(os.path.join(gitdir, common.strip()))
    return gitdir


class Matcher:
    """Which paths git would ignore, for one run (everything memoised)."""

    def __init__(self, environ: "dict[str, str] | None" = None):
        self._environ = environ
        self._global_text: str | None | bool = False
        self._chains: dict[str, tuple[RuleSet, ...] | None] = {}

    def _global(self, top: str) -> RuleSet | None:
        if self._global_text is False:
            path = global_excludes_path(self._environ)
            self._global_text = read_file(path) if path else None
        text = self._global_text
        return parse(text, top) if isinstance(text, str) else None

    def _top_rules(self, top: str) -> tuple[RuleSet, ...]:
        sets: list[RuleSet | None] = [self._global(top)]
        common = _git_common_dir(top)
        if common is not None:
            text = read_file(os.path.join(common, "info", "exclude"))
            sets.append(parse(text, top) if text else None)
        return tuple(s for s in sets if s is not None)

    def _own(self, d: str) -> RuleSet | None:
        text = read_file(os.path.join(d, ".gitignore"), follow=False)
        return parse(text, d) if text else None

    def chain(self, d: str) -> tuple[RuleSet, ...] | None:
        """The rules that apply to the entries of the absolute directory
        ``d``, lowest priority first; None: ``d`` is not in a work tree."""
        if d in self._chains:
            return self._chains[d]
        pending: list[str] = []
        cur = d
        base: tuple[RuleSet, ...] | None = None
        while True:
            if cur in self._chains:
                base = self._chains[cur]
                break
            if os.path.lexists(os.path.join(cur, ".git")):
                own = self._own(cur)
                base = self._top_rules(cur) + ((own,) if own else ())
                self._chains[cur] = base
                break
            parent = os.path.dirname(cur)
            pending.append(cur)
            if parent == cur:
                base = None
                break
            cur = parent
        # pending holds the directories below the one resolved, deepest first
        for p in reversed(pending):
            if base is not None:
                own = self._own(p)
                if own is not None:
                    base = base + (own,)
            self._chains[p] = base
        return self._chains[d]

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether the absolute ``path`` itself is ignored (its parent
        directories are the walk's business: it does not enter ignored
        ones)."""
        chain = self.chain(os.path.dirname(path))
        if not chain:
            return False
        for rules in reversed(chain):
            hit = rules.match(path, is_dir)
            if hit is not None:
                return hit
        return False

    def path_ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git ignores ``path``: it or a directory above it (up to the
        top of its work tree) is ignored."""
        path = os.path.abspath(path)
        if self.ignored(path, is_dir):
            return True
        d = os.path.dirname(path)
        while True:
            parent = os.path.dirname(d)
            if parent == d or self.chain(parent) is None:
                return False
            if os.path.lexists(os.path.join(d, ".git")):
                return False  # the top of the work tree (or a nested repository)
            if self.ignored(d, True):
                return True
            d = parent
