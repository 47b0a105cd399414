"""Environment stages go through the gate of agent stages: a plan file with the environment's
plan in it, approvals on protected stages, refusal when the tree or the environment moved since
planning, --force for changes every environment sees, the agent's lease, a backup of the
version_configs that rollback works from without LookupEnvironmentHistory, drift against the
last apply, and the stage's webhook secrets only in the environment's webhook_config. Real
client, stand-in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.core import envmark
from cxops.cx import ConnectionSettings, CxSession
from cxops.fake import FakeCX
from cxops.workflows.lease import StageLease
from tests.stagerepo import (
    SECRET_VALUE,
    SECRETS,
    edit_returns_page,
    empty_agent,
    sample_in_stand_in,
    stage_file,
)

PROJECT = "acme-bots-stg"
PRD_ENV = "CXOPS_ORDERS_API_KEY_PRD_TEST"
PRD_SECRET = "prd-only-secret-value-4711"
PRD_URI = "https://orders.example.com/cx"
INTENT = Path("agents/order-desk/intents/confirm.no.yaml")


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def make_repo(root: Path, fake: FakeCX, clients: Any, monkeypatch: pytest.MonkeyPatch, prd: str) -> str:
    """stg edits the draft of one agent (applied), prd is its environment "production"; returns
    the agent's name."""
    sample_in_stand_in(root, fake.address, monkeypatch)
    monkeypatch.setenv(PRD_ENV, PRD_SECRET)
    agent = empty_agent(clients, PROJECT, ["en", "ja"], "Orders")
    stage_file(root, "stg", "order-desk", PROJECT, agent, SECRETS)
    hook = f"overrides:\n  webhooks/orders-api:\n    generic_web_service.uri: {PRD_URI}\n"
    secrets = f"secrets:\n  orders-api/X-Api-Key: env:{PRD_ENV}\n"
    stage_file(root, "prd", "order-desk", PROJECT, agent, secrets + "environment: production\n" + hook + prd)
    assert cli(root, "-q", "apply", "stg", "--auto-approve") == 0
    return f"projects/{PROJECT}/locations/global/agents/{agent}"


@pytest.fixture
def protected(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    make_repo(tmp_path, fake, clients, monkeypatch, "protected: true\n")
    return tmp_path


@pytest.fixture
def open_repo(
    fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    return tmp_path, make_repo(tmp_path, fake, clients, monkeypatch, "")


def environment(clients: Any, agent: str) -> Any:
    [env] = clients.environments.list_environments(parent=agent)
    return env


def pins(clients: Any, agent: str) -> dict[str, str]:
    flows = {f.name: f.display_name for f in clients.flows.list_flows(parent=agent)}
    return {
        flows[c.version.split("/versions/")[0]]: c.version
        for c in environment(clients, agent).version_configs
    }


def pin_a_new_version(clients: Any, agent: str, flow_name: str) -> str:
    """What someone does in the console: version a flow and point the environment at it."""
    [flow] = [f for f in clients.flows.list_flows(parent=agent) if f.display_name == flow_name]
    version = clients.versions.create_version(
        parent=flow.name, version=cx.Version(display_name="hotfix by hand")
    ).result()
    env = environment(clients, agent)
    configs = [c for c in env.version_configs if not c.version.startswith(flow.name + "/")]
    env.version_configs = [*configs, cx.Environment.VersionConfig(version=version.name)]
    clients.environments.update_environment(
        environment=env, update_mask={"paths": ["version_configs"]}, metadata=(("x-cxops-user", "ops-carol"),)
    ).result()
    return str(version.name)


def test_protected_environment_stage_needs_an_approved_plan_that_still_matches(
    protected: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, plan = protected, protected / "prd.json"
    assert cli(repo, "apply", "prd", "--auto-approve") == 1
    assert "prd is protected: --auto-approve is refused" in capsys.readouterr().err
    assert cli(repo, "-q", "plan", "prd", "-o", str(plan)) == 0
    data = json.loads(plan.read_text())
    assert data["environment"]["environment"] == "production" and len(data["environment"]["flows"]) == 5
    assert data["cost"]["write_calls"] == 5 + 1 + 2 and data["cost"]["long_running_operations"] == 6
    assert cli(repo, "apply", str(plan)) == 1
    assert "prd is protected: the plan needs 1 approval(s), has 0 valid" in capsys.readouterr().err
    assert cli(repo, "approve", str(plan), "--reviewer", "rev-bob") == 0

    intent = repo / INTENT
    original = intent.read_text()
    intent.write_text(original.replace("Refusal,", "A refusal,"))
    assert cli(repo, "apply", str(plan)) == 1
    assert "the desired state moved since planning" in capsys.readouterr().err
    intent.write_text(original)

    fake.reset_calls()
    assert fake.count("CreateEnvironment") == 0
    assert cli(repo, "apply", str(plan)) == 0
    assert fake.write_count() == data["cost"]["write_calls"]  # the estimate is what apply does
    assert fake.count("CreateVersion", "CreateEnvironment") == data["cost"]["long_running_operations"]
    assert cli(repo, "-q", "plan", "prd", "--detailed-exitcode") == 0


def test_a_plan_is_refused_when_the_environment_moved_and_drift_names_the_pin(
    open_repo: tuple[Path, str], fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, agent = open_repo
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    assert cli(repo, "drift", "prd") == 0
    edit_returns_page(repo, "can be returned today.")
    assert cli(repo, "-q", "apply", "stg", "--auto-approve") == 0
    capsys.readouterr()
    assert cli(repo, "drift", "prd") == 0  # the tree moved, the environment did not: no drift
    assert "not applied yet (not drift)" in capsys.readouterr().out
    plan = repo / "prd.json"
    assert cli(repo, "-q", "plan", "prd", "-o", str(plan)) == 0

    by_hand = pin_a_new_version(clients, agent, "Order Status")
    capsys.readouterr()
    assert cli(repo, "drift", "prd") == 3
    out = capsys.readouterr().out
    assert "flow 'Order Status' is at " + by_hand in out and "by dev-alice" in out
    assert "environment last changed by ops-carol " in out  # from the agent's changelog
    fake.reset_calls()
    assert cli(repo, "apply", str(plan)) == 1
    assert "live changed since planning" in capsys.readouterr().err
    assert fake.write_count() == 0
    # A new plan puts Returns' new version in and Order Status back at the tree's content.
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    assert pins(clients, agent)["Order Status"] != by_hand
    assert cli(repo, "drift", "prd") == 0

    env = environment(clients, agent)  # and someone points the webhook elsewhere, in the console
    env.webhook_config.webhook_overrides[0].generic_web_service.uri = "https://elsewhere.example.com/cx"
    clients.environments.update_environment(
        environment=env, update_mask={"paths": ["webhook_config"]}
    ).result()
    capsys.readouterr()
    assert cli(repo, "drift", "prd") == 3
    assert "webhook 'orders-api''s override is https://elsewhere.example.com/cx, not " + PRD_URI in (
        capsys.readouterr().out
    )


def test_a_change_every_environment_sees_needs_force_on_a_protected_stage(
    protected: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, plan = protected, protected / "prd.json"
    intent = repo / INTENT
    intent.write_text(intent.read_text().replace("Refusal,", "A refusal,"))  # not applied to the draft
    assert cli(repo, "plan", "prd", "-o", str(plan)) == 0
    assert "intent confirm.no: differs in the draft; affects every environment of this agent" in (
        capsys.readouterr().out
    )
    assert cli(repo, "approve", str(plan), "--reviewer", "rev-bob") == 0
    assert cli(repo, "apply", str(plan)) == 1
    assert "affects every environment of this agent; apply with --force" in capsys.readouterr().err
    assert cli(repo, "-q", "apply", str(plan), "--force") == 0


def test_the_agents_lease_excludes_an_environment_apply_and_its_rollback(
    open_repo: tuple[Path, str],
    fake: FakeCX,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo, agent = open_repo
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
        # What an apply to the draft (stage stg) holds while it runs.
        StageLease(session, agent, "stg", "ana@laptop", settle=0).acquire()
    monkeypatch.setenv(PRD_ENV, PRD_SECRET + "-rotated")  # something to apply
    fake.reset_calls()
    capsys.readouterr()
    assert cli(repo, "apply", "prd", "--auto-approve") == 1
    assert "ana@laptop" in capsys.readouterr().err
    assert cli(repo, "rollback", "prd") == 1
    assert "holds its lease (ana@laptop)" in capsys.readouterr().err
    assert fake.write_count() == 0


def test_rollback_works_from_the_backup_without_environment_history(
    open_repo: tuple[Path, str], fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, agent = open_repo
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    first = pins(clients, agent)
    edit_returns_page(repo, "can be returned today.")
    assert cli(repo, "-q", "apply", "stg", "--auto-approve") == 0
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    second = pins(clients, agent)
    assert second != first

    fake.inject("LookupEnvironmentHistory", "UNIMPLEMENTED", count=100)
    fake.reset_calls()
    capsys.readouterr()
    assert cli(repo, "rollback", "prd") == 0
    assert "back at the versions of backup " in capsys.readouterr().out
    assert fake.write_count() == 1 and fake.count("LookupEnvironmentHistory") == 0
    assert pins(clients, agent) == first
    assert cli(repo, "drift", "prd") == 0  # the rollback is what was applied last

    shutil.rmtree(repo / ".cxops" / "backups" / "prd")
    assert cli(repo, "rollback", "prd") == 1  # neither a backup nor the history
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    fake.clear_faults()
    assert cli(repo, "rollback", "prd") == 0
    assert "the environment's history" in capsys.readouterr().out
    assert pins(clients, agent) == second
    [backup] = (repo / ".cxops" / "backups" / "prd").iterdir()  # the rollback's own, of `first`
    assert cli(repo, "rollback", "prd", "--to", str(backup.relative_to(repo))) == 0
    assert pins(clients, agent) == first


def test_the_stages_webhook_secret_goes_to_the_environment_only(
    open_repo: tuple[Path, str],
    fake: FakeCX,
    clients: Any,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo, agent = open_repo
    plan = repo / "prd.json"
    assert cli(repo, "plan", "prd", "-o", str(plan)) == 0
    assert cli(repo, "--format", "json", "plan", "prd") == 0
    assert cli(repo, "--format", "markdown", "plan", "prd") == 0
    shown = capfd.readouterr()
    assert "## cxops plan: `prd` (environment `production`)" in shown.out
    assert PRD_SECRET not in shown.out + shown.err
    assert cli(repo, "apply", "prd", "--auto-approve") == 0
    assert cli(repo, "drift", "prd") == 0
    [override] = environment(clients, agent).webhook_config.webhook_overrides
    assert override.generic_web_service.uri == PRD_URI
    assert dict(override.generic_web_service.request_headers) == {"X-Api-Key": PRD_SECRET}
    [draft] = clients.webhooks.list_webhooks(parent=agent)
    assert dict(draft.generic_web_service.request_headers)["X-Api-Key"] == SECRET_VALUE  # stg's
    written = [plan, *(repo / ".cxops").rglob("*.json")]
    assert all(PRD_SECRET not in p.read_text() for p in written)
    data = json.loads(plan.read_text())
    assert data["environment"]["webhook_overrides"]["orders-api"]["request_headers"] == {
        "X-Api-Key": "${secret:orders-api/X-Api-Key}"
    }
    assert data["secrets"]["orders-api/X-Api-Key"].startswith("hmac-sha256:")

    monkeypatch.setenv(PRD_ENV, PRD_SECRET + "-rotated")  # a new credential is a change
    assert cli(repo, "plan", "prd", "--detailed-exitcode") == 3
    fake.reset_calls()
    assert cli(repo, "apply", "prd", "--auto-approve") == 0
    assert fake.count("UpdateEnvironment") == 1 and fake.count("CreateVersion") == 0
    [override] = environment(clients, agent).webhook_config.webhook_overrides
    assert override.generic_web_service.request_headers["X-Api-Key"] == PRD_SECRET + "-rotated"
    out = capfd.readouterr()
    assert PRD_SECRET not in out.out + out.err


def test_an_override_sending_the_credential_elsewhere_needs_a_second_person(
    open_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = open_repo
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    stage = repo / "environments" / "prd.yaml"
    stage.write_text(stage.read_text().replace(PRD_URI, "https://collector.example.net/cx"))
    capsys.readouterr()
    assert cli(repo, "apply", "prd", "--auto-approve") == 1
    out = capsys.readouterr()
    assert "!! SECURITY" in out.out and "sends X-Api-Key to https://collector.example.net/cx" in out.out
    assert "--auto-approve is refused" in out.err
    plan = repo / "prd.json"
    assert cli(repo, "-q", "plan", "prd", "-o", str(plan)) == 0
    assert cli(repo, "apply", str(plan)) == 1  # unprotected, and still a second person
    assert cli(repo, "approve", str(plan), "--reviewer", "rev-bob") == 0
    assert cli(repo, "-q", "apply", str(plan)) == 0


def test_an_environment_stage_takes_no_other_desired_state(
    open_repo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = open_repo
    for args in (("plan", "prd", "--from", "stg"), ("promote", "stg", "prd")):
        assert cli(repo, *args) == 1
        err = capsys.readouterr().err
        assert "environments/prd.yaml:7: environment: prd is an environment stage" in err, err
        assert len(err.strip().splitlines()) == 1


def test_drift_reads_the_last_apply_from_the_environment_on_a_fresh_checkout(
    open_repo: tuple[Path, str], fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, agent = open_repo
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    edit_returns_page(repo, "can be returned today.")
    assert cli(repo, "-q", "apply", "stg", "--auto-approve") == 0
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    applied = pins(clients, agent)
    shutil.rmtree(repo / ".cxops")  # a fresh CI runner: no backup, no record of any apply
    capsys.readouterr()
    assert cli(repo, "drift", "prd") == 0
    assert "pinned as the last apply (plan " in capsys.readouterr().out

    by_hand = pin_a_new_version(clients, agent, "Order Status")
    assert cli(repo, "drift", "prd") == 3
    out = capsys.readouterr().out
    assert f"flow 'Order Status' is at {by_hand}, not {applied['Order Status']} as applied " in out
    assert "by dev-alice; environment last changed by ops-carol " in out
    assert "Returns" not in out  # the flows that did not move
    assert not (repo / ".cxops").exists()  # drift reads, never writes

    fake.inject("LookupEnvironmentHistory", "UNIMPLEMENTED", count=100)
    assert cli(repo, "drift", "prd") == 3  # the live line no longer matches: drift, less detail
    out = capsys.readouterr().out
    assert "not pinned as the last apply (plan " in out and "history cannot be read (UNIMPLEMENTED)" in out
    fake.clear_faults()

    env = environment(clients, agent)  # someone rewrites the description too: the history tells
    env.description = "Production. Do not touch."
    clients.environments.update_environment(environment=env, update_mask={"paths": ["description"]}).result()
    assert cli(repo, "drift", "prd") == 3
    assert f"flow 'Order Status' is at {by_hand}, not {applied['Order Status']}" in capsys.readouterr().out

    assert cli(repo, "-q", "rollback", "prd") == 0  # from the history: back before the hand pin
    assert pins(clients, agent) == applied
    assert cli(repo, "drift", "prd") == 0  # a rollback is recorded on the environment as well
    assert "pinned as the last rollback left it" in capsys.readouterr().out
    assert environment(clients, agent).description.startswith("Production. Do not touch.\n[cxops-applied ")


def test_drift_without_any_apply_by_cxops_compares_with_the_tree(
    open_repo: tuple[Path, str], clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, agent = open_repo
    flows = list(clients.flows.list_flows(parent=agent))
    made = [
        clients.versions.create_version(parent=f.name, version=cx.Version(display_name="v")).result()
        for f in flows
    ]
    clients.environments.create_environment(
        parent=agent,
        environment=cx.Environment(
            display_name="production",
            version_configs=[cx.Environment.VersionConfig(version=v.name) for v in made],
        ),
    ).result()
    assert cli(repo, "drift", "prd") == 3  # versions cxops did not make hold no content it knows
    out = capsys.readouterr().out
    assert "drifted from this tree (no apply by cxops recorded on the environment" in out


def test_rollback_restores_the_webhook_overrides_with_the_stages_secrets_now(
    open_repo: tuple[Path, str],
    fake: FakeCX,
    clients: Any,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo, agent = open_repo
    moved = "https://orders-v2.example.com/cx"
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    stage = repo / "environments" / "prd.yaml"
    stage.write_text(stage.read_text().replace(PRD_URI, moved))
    plan = repo / "prd.json"
    assert cli(repo, "-q", "plan", "prd", "-o", str(plan)) == 0
    assert cli(repo, "-q", "approve", str(plan), "--reviewer", "rev-bob") == 0
    assert cli(repo, "-q", "apply", str(plan)) == 0
    [override] = environment(clients, agent).webhook_config.webhook_overrides
    assert override.generic_web_service.uri == moved

    monkeypatch.setenv(PRD_ENV, PRD_SECRET + "-rotated")  # the value at rollback time is sent
    fake.reset_calls()
    assert cli(repo, "rollback", "prd") == 0
    assert fake.write_count() == 1 and fake.count("UpdateEnvironment") == 1
    [override] = environment(clients, agent).webhook_config.webhook_overrides
    assert override.generic_web_service.uri == PRD_URI
    assert dict(override.generic_web_service.request_headers) == {"X-Api-Key": PRD_SECRET + "-rotated"}
    shown = capfd.readouterr()
    written = "".join(p.read_text() for p in (repo / ".cxops").rglob("*.json"))
    assert PRD_SECRET not in shown.out + shown.err + written
    assert "${secret:orders-api/X-Api-Key}" in written  # what a backup keeps instead

    monkeypatch.delenv(PRD_ENV)  # no value for the credential: refused before any write
    fake.reset_calls()
    assert cli(repo, "rollback", "prd") == 1
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "environments/prd.yaml:" in err[0] and f"{PRD_ENV} is not set" in err[0], err
    assert fake.write_count() == 0

    monkeypatch.setenv(PRD_ENV, PRD_SECRET)
    shutil.rmtree(repo / ".cxops")  # from the environment's history: forward again, same rule
    assert cli(repo, "-q", "rollback", "prd") == 0
    [override] = environment(clients, agent).webhook_config.webhook_overrides
    assert override.generic_web_service.uri == moved
    assert dict(override.generic_web_service.request_headers) == {"X-Api-Key": PRD_SECRET}


def test_the_applied_line_keeps_the_users_text_within_cxs_limit() -> None:
    line = envmark.Applied("3f1c0a9b2d4e", envmark.pins_digest({"f": "v"}, {}), "2026-12-03T10:00:00Z", "ci")
    kept = envmark.describe("Production.\n[cxops-applied plan=old pins=x at=y by=z]", line)
    assert kept == f"Production.\n[cxops-applied {line.text()}]" and envmark.applied_of(kept) == line
    long = envmark.describe("x" * 600, line)
    assert len(long) <= envmark.MAX_DESCRIPTION and envmark.applied_of(long) == line
    assert envmark.applied_of("[cxops-applied garbled]") is None


def test_plan_writes_lists_the_versions_and_the_environment_update(
    open_repo: tuple[Path, str], fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = open_repo
    assert cli(repo, "plan", "prd", "--writes") == 0
    out = capsys.readouterr().out
    listed = out.split("writes, in order:\n")[1].splitlines()
    assert len(listed) == 6
    assert all("CreateVersion of flow " in line for line in listed[:5])
    assert listed[5].endswith(
        "CreateEnvironment 'production': 5 version_configs, webhook overrides of orders-api (long-running)"
    )
    assert cli(repo, "plan", "prd") == 0
    assert "writes, in order" not in capsys.readouterr().out
    fake.reset_calls()
    assert cli(repo, "-q", "apply", "prd", "--auto-approve") == 0
    assert fake.count("CreateVersion", "CreateEnvironment") == len(listed)  # what it listed is what it did

    edit_returns_page(repo, "can be returned today.")
    assert cli(repo, "-q", "apply", "stg", "--auto-approve") == 0
    capsys.readouterr()
    assert cli(repo, "plan", "prd", "--writes") == 0
    listed = capsys.readouterr().out.split("writes, in order:\n")[1].splitlines()
    assert [line.split(". ", 1)[1] for line in listed] == [
        "CreateVersion of flow 'Returns' from the draft (long-running)",
        "UpdateEnvironment 'production': 5 version_configs, webhook overrides of orders-api (long-running)",
    ]
