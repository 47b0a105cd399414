"""The layers of cxops/ (docs/development.md): imports point down, never up, never in a loop.

Read from the source with `ast`, so a lower layer importing a higher one fails here, in CI,
before anyone has to notice it in review.
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
    "fake": 4,  # the stand-in answers ValidateAgent with core's lint rules; only cli/ imports it
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
