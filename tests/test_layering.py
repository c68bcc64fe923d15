"""``shared/`` is the schema package under every process: it imports none of the apps built on it
(``web``, ``worker``, ``agent_gateway``) nor the process layer (``onlinetracker``), at module level
or inside a function. The apps are started by the composition root, ``onlinetracker/``."""

from __future__ import annotations

import ast
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent / "shared"
ABOVE_SHARED = ("web", "worker", "agent_gateway", "onlinetracker")


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every absolute module an ``import`` or ``from ... import`` names, with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def test_imported_modules_finds_lazy_and_dynamic_imports():
    source = (
        "import os\ndef f():\n    from worker.alerts import enqueue\n    importlib.import_module('web')\n"
    )
    assert imported_modules(ast.parse(source)) == [(1, "os"), (3, "worker.alerts"), (4, "web")]


def test_shared_imports_no_app_and_not_the_process_layer():
    files = sorted(SHARED.rglob("*.py"))
    assert len(files) > 20, "shared/ not found where expected"
    offences = [
        f"{path.relative_to(SHARED.parent)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(ast.parse(path.read_text(), str(path)))
        if module.split(".")[0] in ABOVE_SHARED
    ]
    assert not offences, "\n".join(offences)
