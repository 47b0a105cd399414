"""Commands that never talk to CX load no Google client (issue 30): the same promise as
tests/test_layers.py, that the core does not depend on the adapter, checked on what a fresh
interpreter actually loads rather than on the import statements.

Each command runs in its own interpreter on the sample agent in a temporary git repository, and
reports every ``google.*`` module in ``sys.modules`` at exit. The interpreter's own start-up may
already hold some (a ``*-nspkg.pth`` of another installed Google package registers the empty
``google`` and ``google.cloud`` namespaces): those are measured the same way and allowed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cxops.cli.main import COMMANDS, load

# bench/ is not an installed package; `pytest` (unlike `python -m pytest`) does not put the
# project root on sys.path.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.startup import sample_repo  # noqa: E402

PACKAGE = ROOT / "cxops"
# Runs the CLI like the console script, then reports the Google modules loaded, whatever the
# command's exit (typer raises SystemExit).
PROBE = """
import json, os, sys
def report():
    with open(os.environ["CXOPS_PROBE_OUT"], "w") as out:
        json.dump(sorted(m for m in sys.modules if m == "google" or m.startswith("google.")), out)
if os.environ.get("CXOPS_PROBE_IMPORT"):
    import importlib
    for name in os.environ["CXOPS_PROBE_IMPORT"].split():
        importlib.import_module(name)
    report()
    sys.exit(0)
import atexit
atexit.register(report)
from cxops.cli.main import main
sys.exit(main(sys.argv[1:]))
"""
# The layers below the commands: none may import the client when imported (only cx/ and the
# stand-in do; package/ imports it where it builds messages, at call time).
CLIENT_FREE = ("model", "core", "repo", "package", "render", "stage")


def _env(out: Path, pythonpath: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "CXOPS_PROBE_OUT": str(out), "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("CXOPS_PROBE_IMPORT", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _spawn(cwd: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", PROBE, *args],
        cwd=cwd,
        env=env or _env(out),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _loaded(runs: dict[str, tuple[subprocess.Popen[str], Path]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for what, (proc, out) in runs.items():
        stdout, stderr = proc.communicate(timeout=120)
        assert out.exists(), f"{what}: the probe did not report (exit {proc.returncode}): {stderr}{stdout}"
        found[what] = json.loads(out.read_text(encoding="utf-8"))
        assert proc.returncode in (0, 3), f"{what}: exit {proc.returncode}: {stderr}"
    return found


def _baseline(tmp: Path) -> set[str]:
    """What the interpreter holds before cxops runs."""
    out = tmp / "baseline.json"
    code = (
        "import json, os, sys; json.dump(sorted(m for m in sys.modules if m == 'google' or "
        "m.startswith('google.')), open(os.environ['CXOPS_PROBE_OUT'], 'w'))"
    )
    subprocess.run([sys.executable, "-c", code], env=_env(out), check=True)
    return set(json.loads(out.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_repo(tmp_path_factory.mktemp("startup"))


def _modules_of(package: Path, layers: tuple[str, ...]) -> list[str]:
    names = []
    for layer in layers:
        for path in sorted((package / layer).rglob("*.py")):
            parts = path.relative_to(package.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def _client_modules_on_import(package: Path, tmp: Path, layers: tuple[str, ...] = CLIENT_FREE) -> list[str]:
    """The Google modules a fresh interpreter holds after importing every module of
    ``layers`` from ``package`` (beyond the interpreter's own)."""
    out = tmp / "layers.json"
    env = _env(out, package.parent)
    env["CXOPS_PROBE_IMPORT"] = " ".join(_modules_of(package, layers))
    proc = _spawn(tmp, out, env=env)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    return sorted(set(json.loads(out.read_text(encoding="utf-8"))) - _baseline(tmp))


def test_commands_that_never_connect_load_no_google_module(repo: Path, tmp_path: Path) -> None:
    intent = repo / "agents" / "order-desk" / "intents" / "confirm.no.yaml"
    base = intent.read_text(encoding="utf-8")
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "ours.yaml").write_text(
        base.replace("priority: 500000", "priority: 400000"), encoding="utf-8"
    )
    (tmp_path / "theirs.yaml").write_text(base.replace("Refusal,", "A refusal,"), encoding="utf-8")
    package = tmp_path / "order-desk.zip"
    first = {
        "--help": ["--help"],
        "--version": ["--version"],
        "validate": ["validate"],
        "lint": ["lint"],
        "package": ["package", "order-desk", "-o", str(package)],
        "diff trees": ["diff", "agents/order-desk", "agents/order-desk"],
        "diff git ref": ["diff", "git:HEAD", "agents/order-desk"],
        "changed": ["changed", "--since", "HEAD"],
        "merge-driver": [
            "merge-driver",
            *(str(tmp_path / f"{side}.yaml") for side in ("base", "ours", "theirs")),
            "agents/order-desk/intents/confirm.no.yaml",
        ],
    }
    runs = {
        what: (_spawn(repo, tmp_path / f"{i}.json", *args), tmp_path / f"{i}.json")
        for i, (what, args) in enumerate(first.items())
    }
    found = _loaded(runs)
    second = {
        "diff package": ["diff", str(package), "agents/order-desk"],
        "import": ["import", str(package), "--agent", "imported"],
    }
    runs = {
        what: (_spawn(repo, tmp_path / f"b{i}.json", *args), tmp_path / f"b{i}.json")
        for i, (what, args) in enumerate(second.items())
    }
    found |= _loaded(runs)
    merged = (tmp_path / "ours.yaml").read_text(encoding="utf-8")
    assert "priority: 400000" in merged and "A refusal," in merged  # the driver did merge
    assert (repo / "agents" / "imported" / "agent.yaml").is_file()
    allowed = _baseline(tmp_path)
    extra = {what: sorted(set(mods) - allowed)[:5] for what, mods in found.items() if set(mods) - allowed}
    assert not extra, f"commands that never connect loaded Google modules: {extra}"


def test_the_layers_below_the_commands_import_no_client(tmp_path: Path) -> None:
    assert _client_modules_on_import(PACKAGE, tmp_path) == []


PLANTED = ("model", "core", "repo", "package", "render")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package with a module-level client import in each layer of :data:`PLANTED`
    (a copy, so that a planted import never lands in the real one)."""
    copy = tmp_path_factory.mktemp("planted") / "cxops"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for layer in PLANTED:
        (copy / layer / "_startup_probe.py").write_text(
            "from google.cloud import dialogflowcx_v3  # noqa: F401\n", encoding="utf-8"
        )
    return copy


@pytest.mark.parametrize("layer", PLANTED)
def test_the_check_catches_a_module_level_client_import(layer: str, planted: Path, tmp_path: Path) -> None:
    assert "google.cloud.dialogflowcx_v3" in _client_modules_on_import(planted, tmp_path, (layer,))


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_help_is_the_commands_own(name: str) -> None:
    # `cxops --help` lists COMMANDS' texts without importing the commands: they must be the
    # first paragraph of each command's own help, which `cxops NAME --help` shows.
    own = load(name).help or ""
    assert " ".join(COMMANDS[name][2].split()) == " ".join(own.split("\n\n")[0].split())
