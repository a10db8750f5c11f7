"""The package's modules, their size and what each imports from the package (at the top or inside
a function): the house as it stands, for docs/architecture.md and the layout before/after.

    python scripts/import_graph.py            # a table: module, lines, imports
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "summarise"


def internal_imports(path: Path) -> set[str]:
    """The package's modules `path` imports (`from .x import`, `from . import x`, `summarise.x`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("summarise."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("summarise."))
    return found - {path.stem}


def graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in sorted(PACKAGE.glob("*.py")) if p.stem not in ("__main__",)}
    return {name: internal_imports(path) & set(modules) for name, path in modules.items()}


def main() -> int:
    for name, imports in graph().items():
        lines = len((PACKAGE / f"{name}.py").read_text(encoding="utf-8").splitlines())
        print(f"{name:16} {lines:5}  {', '.join(sorted(imports)) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
