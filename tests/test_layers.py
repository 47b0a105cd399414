"""The layers of cxops/ (docs/development.md): imports point down, never up, never in a loop.

Read from the source with `ast`, so a lower layer importing a higher one, or two modules
importing each other, fails here, in CI, before anyone has to notice it in review.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cxops"

# Higher number = higher layer. A module may import its own layer or any lower one.
LAYERS: dict[str, int] = {
    "cli": 6,
    "workflows": 5,
    "render": 4,
    "core": 3,
    "stage": 2,
    "repo": 2,
    "package": 2,
    "cx": 2,
    "fake": 4,  # above core: the stand-in answers ValidateAgent with core's lint rules; only cli/ imports it
    "model": 1,
    "errors": 0,
    "__init__": 0,
    "_version": 0,  # written by setuptools-scm at build and install time
    "__main__": 7,
}
# Only these talk protobuf / gRPC: the API adapter, the stand-in, the generator of the table
# of v3 fields the model reads instead (model/schema.json), and the package code that turns API
# messages into export JSON and back (importing the client where it builds messages, not at
# start: tests/test_startup.py).
GOOGLE_ALLOWED = (
    "cx/",
    "fake/",
    "model/gen_schema.py",
    "package/fromapi.py",
    "package/desired.py",
)
# The pure core sits beside cx/, not above it: it decides from snapshots and plain records
# (model/), never from the API adapter, so plans and diffs can be computed and tested offline.
CORE_FORBIDDEN = ("cx",)


def _modules(package: Path = PACKAGE) -> list[Path]:
    return sorted(package.rglob("*.py"))


def _layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "cxops":
                out.extend((node.lineno, f"cxops.{alias.name}") for alias in node.names)
            else:
                out.append((node.lineno, node.module))
    return out


def _violations(package: Path = PACKAGE) -> list[str]:
    found: list[str] = []
    for path in _modules(package):
        rel = path.relative_to(package).as_posix()
        own = rel.split("/")[0].removesuffix(".py")
        own_rank = LAYERS[own]
        for line, name in _imports(path):
            if name.startswith("google.") and not rel.startswith(GOOGLE_ALLOWED):
                found.append(f"cxops/{rel}:{line}: imports {name} (only {', '.join(GOOGLE_ALLOWED)})")
            if not name.startswith("cxops."):
                continue
            target = _layer_of(name)
            if target == own:
                continue
            if own == "core" and target in CORE_FORBIDDEN:
                found.append(f"cxops/{rel}:{line}: core imports {name} (core imports no cx)")
                continue
            if target == "fake" and own not in ("cli", "__main__"):
                found.append(f"cxops/{rel}:{line}: imports the stand-in ({name}); only cli/ may")
            elif LAYERS.get(target, 0) > own_rank:
                found.append(
                    f"cxops/{rel}:{line}: {own} (layer {own_rank}) imports {name} (layer {LAYERS[target]})"
                )
    return found


# The one loop allowed: lint's registry imports its rule families when asked for the rules
# (`registry.all_rules`), and each family imports the registry to register its rules with the
# decorator. It is the registration pattern itself, confined to one function.
ALLOWED_LOOP_EDGES = frozenset(
    ("cxops.core.lint.registry", f"cxops.core.lint.{family}")
    for family in ("languages", "nlu", "reachability", "references", "safety", "testcases")
)


def _module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import that can run: at module level and inside functions (a deferred import closes
    a loop as surely, only later), but not under ``if TYPE_CHECKING:``, which never runs."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _commands(tree: ast.Module, package: str) -> list[str]:
    """cli/main.py's ``COMMANDS``: the modules it imports by name (`importlib`) when a command runs."""
    for node in tree.body:
        if isinstance(node, ast.Assign):
            named = any(isinstance(t, ast.Name) and t.id == "COMMANDS" for t in node.targets)
        elif isinstance(node, ast.AnnAssign):
            named = isinstance(node.target, ast.Name) and node.target.id == "COMMANDS"
        else:
            continue
        if named and isinstance(node.value, ast.Dict):
            return [
                f"{package}.cli.{value.elts[0].value}"
                for value in node.value.values
                if isinstance(value, ast.Tuple)
                and isinstance(value.elts[0], ast.Constant)
                and isinstance(value.elts[0].value, str)
            ]
    return []


def _import_graph(package: Path = PACKAGE) -> dict[str, dict[str, int]]:
    """Module -> the package modules it imports, with the line of the first such import."""
    paths = {_module_name(p, package): p for p in _modules(package)}
    graph: dict[str, dict[str, int]] = {}
    for name, path in paths.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: dict[str, int] = {}
        for node in _runtime_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    source = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    source = node.module or ""
                # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod.
                targets = [
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in paths else source
                    for alias in node.names
                ]
            for target in targets:
                if target in paths and target != name:
                    edges.setdefault(target, node.lineno)
        if name == f"{package.name}.cli.main":
            for target in _commands(tree, package.name):
                edges.setdefault(target, 0)
        graph[name] = edges
    return graph


def _cycles(package: Path = PACKAGE, allowed: frozenset[tuple[str, str]] = ALLOWED_LOOP_EDGES) -> list[str]:
    """The import loops: each strongly connected set of modules, with the imports that close it."""
    graph = {
        m: {t: line for t, line in edges.items() if (m, t) not in allowed}
        for m, edges in _import_graph(package).items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops: list[list[str]] = []

    def connect(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                connect(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                loops.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            connect(module)
    return [
        "import loop: "
        + ", ".join(f"{m}:{line} -> {t}" for m in loop for t, line in sorted(graph[m].items()) if t in loop)
        for loop in sorted(loops)
    ]


def test_every_folder_has_a_layer() -> None:
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in _modules()}
    assert tops <= set(LAYERS), f"give these a layer in tests/test_layers.py: {sorted(tops - set(LAYERS))}"


def test_imports_point_down() -> None:
    assert _violations() == []


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    # A copy of the package, so that a planted module never lands in the real one.
    copy = tmp_path / "cxops"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "model" / "_layer_probe.py").write_text(
        "from cxops.cli.main import main\nimport google.protobuf\n", encoding="utf-8"
    )
    (copy / "core" / "_layer_probe.py").write_text("from cxops.cx import session\n", encoding="utf-8")
    found = _violations(copy)
    assert any("core/_layer_probe.py:1: core imports cxops.cx (core imports no cx)" in f for f in found)
    assert any("model/_layer_probe.py:1: model (layer 1) imports cxops.cli.main" in f for f in found)
    assert any("model/_layer_probe.py:2: imports google.protobuf" in f for f in found)


def test_no_import_loops() -> None:
    assert _cycles() == []


def test_the_lint_registration_loop_is_the_one_allowed() -> None:
    # The allowance is not dead: without it, the registry and its families form a loop.
    found = _cycles(allowed=frozenset())
    assert len(found) == 1 and "cxops.core.lint.registry:" in found[0]


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    return package


def test_the_check_catches_an_import_loop(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg import b\n",
            # Deferred to a function, relative, through a sub-package: still a loop.
            "sub/__init__.py": "",
            "sub/c.py": "def f() -> None:\n    from .. import a\n",
            "b.py": "from pkg.sub.c import f\n",
            # Under TYPE_CHECKING: never runs, no loop.
            "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import e\n",
            "e.py": "import pkg.d\n",
        },
    )
    assert _cycles(package) == ["import loop: pkg.a:1 -> pkg.b, pkg.b:1 -> pkg.sub.c, pkg.sub.c:2 -> pkg.a"]


def test_the_check_sees_the_commands_cli_main_loads(tmp_path: Path) -> None:
    # cli/main.py imports a command's module by name; a command importing cli.main closes a loop.
    package = _package(
        tmp_path,
        {
            "__init__.py": "",
            "cli/__init__.py": "",
            "cli/main.py": 'COMMANDS: dict[str, tuple[str, str, str]] = {"demo": ("demo", "demo", "Demo.")}\n',
            "cli/demo.py": "from pkg.cli.main import COMMANDS\n",
        },
    )
    assert _cycles(package) == ["import loop: pkg.cli.demo:1 -> pkg.cli.main, pkg.cli.main:0 -> pkg.cli.demo"]
