"""The import direction of docs/architecture.md, checked against the code.

The layers are read from the document itself (the block between `<!-- layers -->` and
`<!-- /layers -->`), so the picture a reader sees is the rule the code keeps: a top-level
package of smartpay_apply may import only packages of lower layers, never one of its own layer
or above. What counts as an import (docs/architecture.md, "Import direction"):

- every `import`/`from ... import` anywhere in a module: at the top, inside functions (the lazy
  imports that keep start-up fast), and under `if TYPE_CHECKING:` (a module written against
  another's types depends on it; a cycle through annotations is the same knot, hidden from the
  interpreter only until someone needs an isinstance);
- a lazy import by name: a string constant naming a module of the package
  ("smartpay_apply.cli.data:data" in cli/main.py's command table).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "smartpay_apply"
DOC = REPO / "docs" / "architecture.md"
#: The root package's own module (`from smartpay_apply import __version__`).
ROOT = "__init__"
#: What the sandbox may use: it plays Baidu and shares nothing with the client side.
SANDBOX_MAY_USE = frozenset({"errors", "money", "sensitive", "timeutil", ROOT})
_BY_NAME = re.compile(r"smartpay_apply(?:\.[a-z_][a-z0-9_]*)+(?::[A-Za-z_]\w*)?\Z")


def documented_layers(text: str) -> list[set[str]]:
    """The layers of the document's block, top first: one line each, `#` starts a comment."""
    block = text.split("<!-- layers -->", 1)[1].split("<!-- /layers -->", 1)[0]
    layers = []
    for line in block.splitlines():
        names = line.split("#", 1)[0].replace("`", "").split()
        if names and not names[0].startswith("```"):
            layers.append(set(names))
    return layers


def _unit(module: str) -> str:
    """The top-level package (or module) of smartpay_apply that `module` belongs to."""
    parts = module.split(".")
    if len(parts) == 1:
        return ROOT
    if (PACKAGE / parts[1]).is_dir() or (PACKAGE / f"{parts[1]}.py").is_file():
        return parts[1]
    return ROOT  # a name of the root package, e.g. __version__


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, module: str, is_package: bool = False) -> list[tuple[str, int]]:
    """(imported module, line) for every import of smartpay_apply in `source`, wherever it
    is written (module level, functions, TYPE_CHECKING blocks), and every module named in a
    string constant."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(node, module, is_package)
            if target == "smartpay_apply":  # `from smartpay_apply import engine` names modules
                found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((target, node.lineno))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _BY_NAME.match(node.value)
        ):
            found.append((node.value.split(":")[0], node.lineno))
    return [(name, line) for name, line in found if name.split(".")[0] == "smartpay_apply"]


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(importer, imported) top-level units -> where (file:line), across the package."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        source = path.read_text(encoding="utf-8")
        for target, line in imports_of(source, module, path.name == "__init__.py"):
            here, there = _unit(module), _unit(target)
            if here != there:
                edges[(here, there)].append(f"{path.relative_to(REPO)}:{line}")
    return edges


def units() -> set[str]:
    """Every top-level package and module of smartpay_apply (the root's __init__ included)."""
    found = {ROOT}
    for path in PACKAGE.iterdir():
        if path.is_dir() and (path / "__init__.py").is_file():
            found.add(path.name)
        elif path.suffix == ".py" and path.name != "__init__.py":
            found.add(path.stem)
    return found


def violations(edges: dict[tuple[str, str], list[str]], layers: list[set[str]]) -> list[str]:
    """Each import of a package from its own layer or one above, with where it is written."""
    level = {name: index for index, layer in enumerate(layers) for name in layer}
    return [
        f"{here} -> {there} ({', '.join(where)})"
        for (here, there), where in sorted(edges.items())
        if level.get(here, -1) >= level.get(there, len(layers))
    ]


def on_cycles(edges: dict[tuple[str, str], list[str]]) -> list[str]:
    """The packages that can reach themselves through imports."""
    graph: dict[str, set[str]] = defaultdict(set)
    for here, there in edges:
        graph[here].add(there)

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
        return seen

    return sorted(name for name in list(graph) if name in reachable(name))


LAYERS = documented_layers(DOC.read_text(encoding="utf-8"))
EDGES = package_edges()


def test_every_package_has_its_place_in_the_layers() -> None:
    placed = set().union(*LAYERS)
    missing = sorted(units() - placed)
    assert not missing, f"place {missing} in the layers of docs/architecture.md"
    twice = sorted(name for name in placed if sum(name in layer for layer in LAYERS) > 1)
    assert not twice, f"{twice} appear in more than one layer"


def test_imports_point_down_the_layers() -> None:
    wrong = violations(EDGES, LAYERS)
    assert not wrong, "imports against the layers of docs/architecture.md:\n" + "\n".join(wrong)


def test_no_cycle_between_packages() -> None:
    assert on_cycles(EDGES) == []


def test_the_sandbox_shares_nothing_with_the_client_side() -> None:
    used = {there: where for (here, there), where in EDGES.items() if here == "sandbox"}
    wrong = {there: where for there, where in used.items() if there not in SANDBOX_MAY_USE}
    assert not wrong, f"the sandbox may use only {sorted(SANDBOX_MAY_USE)}: {wrong}"


def test_yaml_reading_stands_below_spec_and_config() -> None:
    """The reason yamldoc exists: spec and config both read YAML through it, and it knows
    neither (the config <-> spec cycle is gone)."""
    level = {name: index for index, layer in enumerate(LAYERS) for name in layer}
    assert level["yamldoc"] > max(level["spec"], level["config"])
    assert ("spec", "config") not in EDGES and ("config", "spec") in EDGES


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from smartpay_apply.engine.run import run_apply\n", "smartpay_apply.engine.run"),
        ("def f():\n    from smartpay_apply import runtime\n", "smartpay_apply.runtime"),
        (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from smartpay_apply.config import ProjectConfig\n",
            "smartpay_apply.config",
        ),
        ("from ..state.base import StateStore\n", "smartpay_apply.state.base"),
        ("import smartpay_apply.api.client\n", "smartpay_apply.api.client"),
        ('COMMANDS = {"data": "smartpay_apply.cli.data:data"}\n', "smartpay_apply.cli.data"),
        ("import os\nfrom pydantic import BaseModel\n", None),
    ],
)
def test_the_walk_sees_every_kind_of_import(source: str, expected: str | None) -> None:
    """The checks above are only as good as this walk: it must find imports at module level,
    in functions, under TYPE_CHECKING, relative ones and lazy ones by name (and no others)."""
    found = [name for name, _ in imports_of(source, "smartpay_apply.engine.planner")]
    assert found == ([expected] if expected else [])


def test_the_checks_catch_an_upward_import_and_a_cycle() -> None:
    """The layer and cycle checks fail on what they must refuse, and pass what they allow."""
    upward = {("engine", "cli"): ["smartpay_apply/engine/x.py:3"]}
    assert violations(upward, LAYERS) == ["engine -> cli (smartpay_apply/engine/x.py:3)"]
    sideways = {("engine", "events"): ["smartpay_apply/engine/x.py:4"]}
    assert violations(sideways, LAYERS) == ["engine -> events (smartpay_apply/engine/x.py:4)"]
    assert violations({("engine", "api"): ["smartpay_apply/engine/x.py:5"]}, LAYERS) == []
    loop = {("runtime", "engine"): [], ("engine", "runtime"): [], ("engine", "api"): []}
    assert on_cycles(loop) == ["engine", "runtime"]
