"""BF901's unsafe fix (issue 13 §4): no second `import os`, no comment that becomes false."""
from __future__ import annotations

import ast

from click.testing import CliRunner

from bflint.cli import main

SRC = '''import bayesflow as bf
import os
os.environ["KERAS_BACKEND"] = "jax"  # too late: bayesflow is already imported
print(bf)
'''


def test_fix_moves_the_late_import_os_and_drops_the_stale_comment(tmp_path):
    path = tmp_path / "t.py"
    path.write_text(SRC)
    res = CliRunner().invoke(main, ["--select", "BF901", "--fix", "--unsafe-fixes", str(path)])
    assert res.exit_code == 0, res.output
    fixed = path.read_text()
    assert fixed == 'import os\nos.environ["KERAS_BACKEND"] = "jax"\nimport bayesflow as bf\nprint(bf)\n'
    assert fixed.count("import os") == 1 and "too late" not in fixed
    ast.parse(fixed)
