"""No test module imports a ``conftest`` module by its bare name.

The test folders have no ``__init__.py``, so every folder's conftest.py is the module ``conftest``: with
several folders in one pytest run, ``from conftest import X`` gets whichever folder's conftest came first
(tests/training with tests/data failed to collect that way). Shared helpers live in uniquely named modules
(``tests.helpers_tiny_run``) and are imported by their package path.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
BARE_CONFTEST_IMPORT = re.compile(r"^\s*(from\s+conftest\s+import|import\s+conftest\b)", re.MULTILINE)


def test_no_test_module_imports_conftest_by_its_bare_name() -> None:
    offenders = [str(path.relative_to(TESTS)) for path in sorted(TESTS.rglob("*.py"))
                 if BARE_CONFTEST_IMPORT.search(path.read_text(encoding="utf-8"))]
    assert offenders == [], f"import these helpers from a uniquely named module instead: {offenders}"
