"""``mypy --strict`` passes on the whole package (py.typed, complete
annotations: the API modules, the ``zova`` CLI in cli.py and
zova.diagnostics) and on examples/ (issue 14). Configuration: pyproject.toml
[tool.mypy]. mypy is in the ``test`` extra; without it this test fails, it is
never skipped.
"""
from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_mypy_strict_passes_on_the_package_and_examples() -> None:
    try:
        import mypy  # noqa: F401
    except ImportError as error:  # pragma: no cover - the test extra installs it
        raise AssertionError("mypy is not installed: pip install 'mypy>=1.13' (the test extra has it)") from error
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", "python/zova", "examples"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"mypy --strict reported errors:\n{result.stdout}{result.stderr}"
    # Nothing was left out (an exclude in [tool.mypy] would be): every module
    # of python/zova, cli.py and diagnostics/ included, and examples/.
    modules = [*(ROOT / "python" / "zova").rglob("*.py"), *(ROOT / "examples").rglob("*.py")]
    assert {"cli.py", "salvage.py", "database.py"} <= {path.name for path in modules}
    assert f"no issues found in {len(modules)} source files" in result.stdout, result.stdout
