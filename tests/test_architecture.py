"""The architecture the README draws ("How it fits together"), checked rather than stated: the import graph
keeps to its layers with no cycle (import-linter, the contracts in pyproject.toml), every module sits in a
layer, and no import hides inside a function but where Django requires it."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("peerplan", "evidence", "bench")
# Django's wiring, which no code imports: settings, the servers' entry points, migrations, the package itself.
OUTSIDE_THE_LAYERS = {"__init__", "settings", "wsgi", "asgi", "migrations"}


def contracts():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_the_import_graph_keeps_its_layers_and_has_no_cycle():
    linter = Path(sys.executable).parent / "lint-imports"

    result = subprocess.run([str(linter)], cwd=ROOT, capture_output=True, text=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_every_module_of_peerplan_is_in_a_layer():
    """A new top-level module or folder must be given its place, or the layers say nothing about it."""
    (layers,) = [contract["layers"] for contract in contracts() if contract["type"] == "layers"]
    layered = {name.strip() for layer in layers for name in layer.split("|")}
    children = {
        path.stem if path.is_file() else path.name
        for path in (ROOT / "peerplan").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
    }

    unplaced = {name for name in children - OUTSIDE_THE_LAYERS if f"peerplan.{name}" not in layered}

    assert unplaced == set()


def imports_inside_functions():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # written once and never changed; Django loads them on its own
            for function in ast.walk(ast.parse(path.read_text())):
                if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                for node in ast.walk(function):
                    if isinstance(node, ast.Import | ast.ImportFrom):
                        yield path.relative_to(ROOT).as_posix(), function.name, node.lineno


def test_no_import_hides_inside_a_function_but_where_django_requires_it():
    """Only an AppConfig's ready() imports inside a function: models may not be imported while the app
    registry is being filled. Anywhere else an import in a function hides a cycle."""
    found = list(imports_inside_functions())

    assert found, "the walk found no import at all: it is not looking where the code is"
    assert {(path, function) for path, function, _ in found} == {
        ("peerplan/apps.py", "ready"),
        ("peerplan/api/apps.py", "ready"),
    }
