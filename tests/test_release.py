"""A release a team can pip install: sdist and wheel built and checked as the release workflow
does, then the wheel installed into a fresh virtual environment runs `init` and `demo` in an
empty folder (no clone of cxops around it)."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def run(*cmd: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CXOPS_", "VIRTUAL_ENV", "PYTHON"))}
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    assert done.returncode == 0, f"{cmd}: {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout: setuptools-scm takes the version from git")
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build tools of this environment (dev extra), no download.
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, PROJECT, cwd=PROJECT)
    return out


def test_sdist_and_wheel_pass_twine_check_and_the_wheel_holds_templates_and_sample(dist: Path) -> None:
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    run(sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists, cwd=dist)
    names = set(zipfile.ZipFile(wheels[0]).namelist())
    assert "cxops/templates/github/workflows/cxops-pr.yml" in names
    assert "cxops/templates/github/actions/cxops/action.yml" in names
    assert "cxops/sample/agents/order-desk/agent.yaml" in names
    assert "cxops/sample/environments/prd.yaml" in names
    assert "cxops/_version.py" in names


def test_the_wheel_installed_from_scratch_runs_init_and_demo(dist: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=tmp_path)
    cxops = env_dir / "bin" / "cxops"
    version = wheel.name.split("-")[1]
    assert run(cxops, "--version", cwd=tmp_path).stdout.strip() == f"cxops {version}"

    empty = tmp_path / "my-bots"
    empty.mkdir()
    init = run(cxops, "init", "--agent", "pizza", cwd=empty)
    assert (empty / ".github" / "workflows" / "cxops-pr.yml").is_file()
    assert (empty / "environments" / "prd.yaml").is_file()
    action = (empty / ".github" / "actions" / "cxops" / "action.yml").read_text()
    assert f'default: "{version}"' in action  # the workflows install this very release
    assert ("development build" in init.stdout) == ("dev" in version or "+" in version)

    demo = run(cxops, "demo", cwd=empty, timeout=900)
    assert "prd" in demo.stdout
    assert "Traceback" not in demo.stdout + demo.stderr
