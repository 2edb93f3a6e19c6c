"""Project-wide analysis (issue 12): imports of the project's own modules are
resolved to their files (:mod:`~bflint.project.resolve`), parsed once per run and
summarised by the same semantic builder as any linted file
(:mod:`~bflint.project.index`: the per-run memo, depth limit, cycle safety); a
finding whose cause lies in another module is placed in the linted file and
names that module (:mod:`~bflint.project.locate`). Nothing is imported or run."""
