"""``bflint check`` without click: the command's work, called by the click command
(:mod:`bflint.cli`) and, for ``bflint PATHS...`` with no option, straight from the console
script (:mod:`bflint.entry`: start-up, issue 18 §2; ``import click`` is ~30 ms of a cached run)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

from bflint import bayesflow_api, engine, output, selection
from bflint import config as config_mod
from bflint import runner as runner_mod
from bflint import target as target_mod
from bflint.discovery import _excluded as excluded
from bflint.discovery import discover
from bflint.runner import RunOptions, cap_jobs, run


class UsageError(Exception):
    """A usage error (an invalid ``--select`` code): the CLI prints click's usage message."""


def _plain_echo(message: str = "", nl: bool = True, err: bool = False, color: bool | None = None) -> None:
    """``click.echo`` for the texts :func:`run_check` writes (already coloured or not)."""
    stream = sys.stderr if err else sys.stdout
    text = message + ("\n" if nl else "")
    try:
        stream.write(text)
    except UnicodeEncodeError:
        stream.flush()
        stream.buffer.write(text.encode(getattr(stream, "encoding", None) or "utf-8", "replace"))
    stream.flush()


def stdout_isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def run_check(paths=(), select=(), ignore=(), extend_select=(), exclude=(), extend_exclude=(),
              config_path=None, isolated=False, respect_gitignore=None, force_exclude=None, fmt=None,
              no_color=False, stdin_filename=None, exit_zero=False, statistics=False,
              output_file=None, fix=False, unsafe_fixes=False, diff=False, target_bayesflow=None,
              add_noqa=False, show_traceback=False, jobs=None, no_cache=False, cache_dir=None,
              no_prefilter=False, no_project=False, *, echo=None, isatty=None) -> NoReturn:
    """``bflint check``: exits with the CLI's code (0 clean, 1 findings, 2 errors). ``echo``:
    ``click.echo``'s signature (a plain writer by default); ``isatty``: whether stdout is a
    terminal (the CLI passes its own, which tests replace)."""
    import os

    echo = echo or _plain_echo
    isatty = isatty or stdout_isatty


    paths = list(paths) or ["."]
    try:
        if isolated:
            cfg = config_mod.Config()
        elif config_path:
            cfg = config_mod.load(config_path)
        else:
            cfg = config_mod.discover([stdin_filename or "." if p == "-" else p for p in paths])
        enabled = config_mod.enabled_codes(
            cfg, selection.split_option(select, "--select") if select else None,
            selection.split_option(ignore, "--ignore"),
            selection.split_option(extend_select, "--extend-select"))
        explicit_target = target_mod.normalize(target_bayesflow) if target_bayesflow \
            else cfg.target_bayesflow
    except (config_mod.ConfigError, target_mod.TargetError) as exc:
        echo(f"bflint: error: {output.safe(str(exc))}", err=True)
        sys.exit(2)
    except selection.SelectionError as exc:
        raise UsageError(output.safe(str(exc))) from None

    excludes = (_split_globs(exclude) if exclude else list(cfg.exclude)) + list(cfg.extend_exclude) \
        + _split_globs(extend_exclude)
    if respect_gitignore is None:
        respect_gitignore = cfg.respect_gitignore
    if force_exclude is None:
        force_exclude = cfg.force_exclude
    stdout_tty = isatty() and not output_file
    if fmt is None:
        fmt = "full" if stdout_tty else "concise"
    color = fmt == "full" and stdout_tty and not no_color and not os.environ.get("NO_COLOR")
    per_file = cfg.per_file_ignores
    root = cfg.root

    prefilter = not no_prefilter
    findings = []
    n_files = 0
    given: dict[str, bytes] = {}
    stdin_data = None
    stdin_name = stdin_filename or "-"
    if "-" in paths:
        stdin_data = sys.stdin.buffer.read()
        given[stdin_name] = stdin_data
        en = enabled - config_mod.ignored_codes_for(stdin_name, per_file, root) if per_file else enabled
        stdin_target = target_mod.for_file(stdin_filename or ".", explicit_target)
        if force_exclude and stdin_filename and _excluded(stdin_filename, excludes):
            pass
        elif stdin_name.endswith(".ipynb"):
            from bflint import notebook  # start-up: only notebooks load the notebook reader

            with bayesflow_api.use_target(stdin_target):
                findings.extend(notebook.check_notebook(stdin_data, stdin_name, en, prefilter=prefilter,
                                                        show_traceback=show_traceback))
        else:
            with bayesflow_api.use_target(stdin_target):
                findings.extend(engine.check_source(stdin_data, stdin_name, en, prefilter=prefilter,
                                                    show_traceback=show_traceback))
        n_files += 1
        paths = [p for p in paths if p != "-"]
    files: list[Path] = []
    if paths:
        # named paths are checked even when ignored; --force-exclude: unless excluded (issue 13 §1)
        files, missing = discover([Path(p) for p in paths], exclude=excludes,
                                  respect_gitignore=respect_gitignore, force_exclude=force_exclude)
        if files or missing:
            jobs, note = cap_jobs(jobs)
            if note:
                echo(note, err=True)
            options = RunOptions(enabled=enabled, exclude=[], prefilter=prefilter,
                                 show_traceback=show_traceback, jobs=jobs, cache=not no_cache,
                                 cache_dir=cache_dir, target=explicit_target,
                                 project=not no_project)
            more, checked = run([str(f) for f in files] + [str(m) for m in missing], options)
            findings.extend(config_mod.filter_per_file(more, per_file, root))
            n_files += checked
    findings.sort(key=lambda f: f.sort_key())
    if n_files == 0:  # ruff's words; and never "All checks passed" (issue 13 §1)
        echo("warning: No Python files found under the given path(s)", err=True)

    if add_noqa:  # issue 13 §3: bflint/add_noqa.py
        from bflint import add_noqa as add_noqa_mod  # start-up: a plain check never loads it

        sys.exit(add_noqa_mod.report(findings, stdin=stdin_data is not None, fix=fix or diff))

    n_fixed = not_fixed = 0
    if fix or diff:
        findings, n_fixed, changed, not_fixed = _apply_fixes(findings, files, enabled, per_file,
                                                             root, unsafe_fixes, diff, prefilter,
                                                             stdin_name, stdin_data, explicit_target,
                                                             project=None if no_project
                                                             else runner_mod.project_index(),
                                                             echo=echo)
        if diff:
            if changed:
                echo(changed, nl=False)
            n = n_fixed
            hidden = 0 if unsafe_fixes else sum(
                1 for f in findings if f.fix and not output.applicable(f))
            suffix = f" ({output._fixes(hidden)})" if hidden else ""
            echo(f"Would fix {n} problem{'s' if n != 1 else ''}{suffix}." if n
                       else f"No fixes available{suffix}.", err=True)
            sys.exit(1 if n and not exit_zero else 0)

    text = output.render(fmt, findings, n_files, color=color, source=output.SourceLines(given),
                         fixed=n_fixed, unsafe=unsafe_fixes)
    if n_files == 0 and not findings and fmt in ("full", "concise", "text"):
        text = ""
    if statistics:  # only the table, as ruff (issue 13 §4); JSON with --format json
        text = output.format_statistics_json(findings, unsafe_fixes) if fmt == "json" \
            else output.format_statistics(findings, unsafe_fixes)
        if fix and n_fixed:  # --fix still says what it did; the table stays alone on stdout
            echo(f"Fixed {n_fixed} problem{'s' if n_fixed != 1 else ''}.", err=True)
        if not no_project and fmt != "json":  # issue 12: how far the project analysis read (stderr)
            n = runner_mod.modules_read()
            echo(f"{n} project module{'s' if n != 1 else ''} read through imports", err=True)
    if output_file:
        Path(output_file).write_text(text, encoding="utf-8")
    elif fix and stdin_data is not None:
        # the fixed source goes to stdout, every report to stderr, also when
        # other paths are fixed in the same run (issue 16 item 8)
        echo(text, nl=False, err=True)
    else:
        echo(text, nl=False, color=color)

    internal = any(f.code == engine.INTERNAL_ERROR for f in findings)
    if internal or not_fixed:  # a file that could not be written (issue 16 item 9)
        sys.exit(2)
    if findings and not exit_zero:
        sys.exit(1)
    sys.exit(0)


def _split_globs(values) -> list[str]:
    out: list[str] = []
    for v in values or ():
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def _excluded(path: str, patterns: list[str]) -> bool:
    return bool(patterns) and excluded(Path(path), patterns)


def _apply_fixes(findings, files, enabled, per_file, root, unsafe, diff, prefilter, stdin_name,
                 stdin_data, explicit_target=None, project=None, echo=None):
    """Fix the files with applicable fixes; returns (findings after fixing,
    number fixed, the diff text, number of files that could not be written)."""
    echo = echo or _plain_echo
    import os

    # start-up: only --fix / --diff load the fixers (hashlib's OpenSSL with them)
    from bflint import fix as fixes
    from bflint import notebook, notebook_fix

    by_file: dict[str, list] = {}
    for f in findings:
        by_file.setdefault(f.filename, []).append(f)
    paths = {str(p): p for p in files}
    out, n_fixed, diffs, failed = [], 0, [], 0
    stdin_done = False
    for name, fs in by_file.items():
        fixable = [f for f in fs if f.fix and (f.fix.get("applicability") == "safe" or unsafe)]
        if not fixable:
            out.extend(fs)
            continue
        if any(f.cell is not None for f in fixable) or name.endswith(".ipynb"):
            en = enabled - config_mod.ignored_codes_for(name, per_file, root) if per_file else enabled
            if stdin_data is not None and name == stdin_name:
                out.extend(fs)  # a notebook on stdin: not rewritten
                continue
            path = paths.get(name) or Path(name)
            try:
                with bayesflow_api.use_target(target_mod.for_file(path, explicit_target)):
                    nf = notebook_fix.fix_notebook(path, en, display=name, unsafe=unsafe,
                                                   write=not diff, prefilter=prefilter)
            except (OSError, ValueError, notebook.NotebookError) as exc:
                echo(f"bflint: {output.safe(name)}: notebook not fixed: {output.safe(str(exc))}",
                           err=True)
                out.extend(fs)
                continue
            if nf.error:
                failed += 1
                echo(f"bflint: {output.safe(name)}: {output.safe(nf.error)}", err=True)
            n_fixed += len(nf.fixed)
            out.extend(config_mod.filter_per_file(nf.remaining, per_file, root))
            if diff and nf.changed:
                diffs.append(fixes.unified_diff(nf.original, nf.text, os.path.normpath(name)))
            continue
        en = enabled - config_mod.ignored_codes_for(name, per_file, root) if per_file else enabled
        if stdin_data is not None and name == stdin_name:
            try:
                text = engine.decode(stdin_data)
            except engine.DecodeError:
                out.extend(fs)
                continue
            with bayesflow_api.use_target(target_mod.for_file(stdin_name if stdin_name != "-" else ".",
                                                              explicit_target)):
                res = fixes.fix_text(text, name, en, unsafe=unsafe, prefilter=prefilter)
            stdin_done = True
            n_fixed += len(res.fixed)
            out.extend(res.remaining)
            if diff:
                diffs.append(fixes.unified_diff(text, res.text, name))
            else:
                sys.stdout.write(res.text)
            continue
        path = paths.get(name) or Path(name)
        with bayesflow_api.use_target(target_mod.for_file(path, explicit_target)):
            ff = fixes.fix_file(path, en, display=name, unsafe=unsafe, write=not diff,
                                prefilter=prefilter, project=project)
        if ff is None:
            out.extend(fs)
            continue
        if ff.error:
            failed += 1
            echo(f"bflint: {output.safe(name)}: {output.safe(ff.error)}", err=True)
        n_fixed += len(ff.result.fixed)
        out.extend(config_mod.filter_per_file(ff.result.remaining, per_file, root))
        if diff and ff.changed:
            diffs.append(fixes.unified_diff(ff.original, ff.result.text, os.path.normpath(name)))
    if stdin_data is not None and not diff and not stdin_done:
        # nothing fixed in stdin: echo it unchanged (like a formatter)
        sys.stdout.buffer.write(stdin_data) if hasattr(sys.stdout, "buffer") else None
        sys.stdout.flush()
    out.sort(key=lambda f: f.sort_key())
    return out, n_fixed, "".join(diffs), failed
