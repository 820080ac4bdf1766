"""Imports point downwards only (DESIGN "Layers"): checked on the source, and by importing.

The source check reads every module with `ast`, so an import hidden in a function body counts
as much as one at the top of the file.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import medbookings_desktop

PACKAGE = Path(medbookings_desktop.__file__).resolve().parent
ROOT = "medbookings_desktop"


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # `from pkg import mod` may import a submodule: count both names
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != ROOT:
        return None
    return parts[1] if len(parts) > 1 else ""


def _violations(layer: str, allowed: set[str]) -> list[str]:
    bad = []
    for path in _modules():
        if _layer(_module_name(path)) != layer:
            continue
        for line, module in _imports(path):
            target = _layer(module)
            if target is not None and target not in allowed and _is_module(module):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    return bad


def _is_module(name: str) -> bool:
    """Whether `name` is one of our modules or packages (not a function imported by name)."""
    rel = Path(*name.split("."))
    return (PACKAGE.parent / rel).is_dir() or (PACKAGE.parent / rel).with_suffix(".py").exists()


def test_the_walk_sees_the_layers() -> None:
    # guard against a vacuous pass: the walk finds modules of every layer checked below
    layers = {_layer(_module_name(p)) for p in _modules()}
    assert {"domain", "services", "storage", "cli"} <= layers
    assert any(
        m == "medbookings_desktop.domain.errors"
        for _, m in _imports(PACKAGE / "services" / "booking.py")
    )


def test_domain_imports_only_domain() -> None:
    assert _violations("domain", {"domain"}) == []


def test_services_import_only_domain_and_services() -> None:
    assert _violations("services", {"domain", "services"}) == []


@pytest.mark.parametrize(
    "layer", ["domain", "services", "storage", "integrations", "sync", "cli", "demo", ""]
)
def test_nothing_below_ui_imports_qt(layer: str) -> None:
    # `""` is the package's own top-level modules (bootstrap, settings, logging_setup ...)
    bad = []
    for path in _modules():
        module = _module_name(path)
        if _layer(module) != layer or module.startswith(f"{ROOT}.ui"):
            continue
        for line, name in _imports(path):
            if name.split(".")[0] in {"PySide6", "shiboken6"}:
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    assert bad == []


def test_core_layers_import_without_qt() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import medbookings_desktop\n"
        "for pkg in ('domain', 'storage', 'services'):\n"
        "    base = importlib.import_module(f'medbookings_desktop.{pkg}')\n"
        "    for info in pkgutil.walk_packages(base.__path__, base.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "importlib.import_module('medbookings_desktop.bootstrap')\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(len([m for m in sys.modules if m.startswith('medbookings_desktop.')]))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=PACKAGE.parent,
    )
    assert done.returncode == 0, done.stderr
    count, loaded = done.stdout.splitlines()
    assert int(count) > 20  # the walk really imported the layers
    assert loaded == ""
