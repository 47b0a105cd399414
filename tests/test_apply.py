"""`cxops plan` / `apply` on the sample agent through the real client against the stand-in:
only what changed is written, secrets reach the live webhook and nothing else, live == desired."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from google.cloud import dialogflowcx_v3 as cx

from cxops.cli.main import main
from cxops.fake import FakeCX
from cxops.workflows import backups
from tests.stagerepo import (
    LEASE_WRITES,
    SECRET_ENV,
    SECRET_VALUE,
    SECRETS,
    empty_agent,
    sample_in_stand_in,
    stage_file,
)

PROJECT = "acme-bots-stg"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_in_stand_in(tmp_path, fake.address, monkeypatch)
    stg = empty_agent(clients, PROJECT, ["en", "ja"], "Orders (stg)")
    stage_file(
        tmp_path,
        "stg",
        "order-desk",
        PROJECT,
        stg,
        SECRETS
        + "overrides:\n  webhooks/orders-api:\n    generic_web_service.uri: https://orders.stg.example.com/cx\n",
    )
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), *args])


def edit(path: Path, change: Any) -> None:
    body = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(body)
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")


def webhook(clients: Any, root: Path, stage: str = "stg") -> Any:
    agent_id = yaml.safe_load((root / "environments" / f"{stage}.yaml").read_text())["agent_id"]
    hooks = clients.webhooks.list_webhooks(parent=f"projects/{PROJECT}/locations/global/agents/{agent_id}")
    return next(iter(hooks))


def test_first_apply_writes_the_plan_and_nothing_more(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = repo / "plan.json"
    assert cli(repo, "plan", "stg", "-o", str(plan_file), "--detailed-exitcode") == 3
    planned = json.loads(plan_file.read_text())
    fake.reset_calls()
    assert cli(repo, "apply", str(plan_file)) == 0
    out = capsys.readouterr()
    assert fake.write_count() == len(planned["writes"]) + LEASE_WRITES > 100
    assert "live matches the desired state" in out.out
    # The live webhook has the stage's URI and the resolved secret; no file or output has the value.
    hook = webhook(clients, repo)
    assert hook.generic_web_service.uri == "https://orders.stg.example.com/cx"
    assert hook.generic_web_service.request_headers["X-Api-Key"] == SECRET_VALUE
    [backup] = backups.listing(repo, "stg")
    for text in (plan_file.read_text(), backup.read_text(), out.out, out.err):
        assert SECRET_VALUE not in text
    assert planned["secrets"]["orders-api/X-Api-Key"].startswith("hmac-sha256:")
    assert cli(repo, "drift", "stg") == 0
    assert cli(repo, "plan", "stg", "--detailed-exitcode") == 0
    # ... and a pull after it is a fixed point: nothing rewritten.
    capsys.readouterr()
    assert cli(repo, "pull", "stg", "--via", "list") == 0
    assert "0 files written, 0 removed" in capsys.readouterr().out


def test_an_edit_writes_one_call_per_resource_and_language(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    tree = repo / "agents" / "order-desk"
    intent = next((tree / "intents").glob("order.status*.yaml"))
    edit(intent, lambda b: b["training_phrases"]["ja"].append("注文 [A-99999](order_id) はどこ"))
    edit(intent, lambda b: b["training_phrases"]["en"].append("where is [A-99999](order_id) now"))
    next((tree / "test-cases").glob("*.yaml")).unlink()
    (tree / "intents" / "order.gift_wrap.yaml").write_text(
        "display_name: order.gift_wrap\npriority: 500000\ntraining_phrases:\n"
        "  en:\n  - can you gift wrap my order\n  ja:\n  - ギフト包装はできますか\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert cli(repo, "--format", "json", "plan", "stg", "-o", str(repo / "p.json")) == 0
    planned = json.loads(capsys.readouterr().out)
    writes = [(w["op"], w["kind"], w["name"], w.get("language")) for w in planned["writes"]]
    assert sorted(writes, key=str) == sorted(
        [
            ("create", "intent", "order.gift_wrap", "en"),
            ("update", "intent", "order.gift_wrap", "ja"),
            ("update", "intent", "order.status", "en"),
            ("update", "intent", "order.status", "ja"),
            ("delete", "test_case", planned["writes"][-1]["name"], None),
        ],
        key=str,
    )
    assert writes[-1][0] == "delete"  # deletes come last
    fake.reset_calls()
    assert cli(repo, "apply", str(repo / "p.json")) == 0
    assert fake.write_count() == len(planned["writes"]) + LEASE_WRITES
    assert cli(repo, "drift", "stg") == 0


def test_a_secret_rotated_in_the_stage_is_a_change_shown_as_hashes(
    repo: Path,
    fake: FakeCX,
    clients: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    monkeypatch.setenv(SECRET_ENV, "rotated-value-2")
    capsys.readouterr()
    assert cli(repo, "plan", "stg", "-o", str(repo / "p.json"), "--detailed-exitcode") == 3
    out = capsys.readouterr().out
    assert "hmac-sha256:" in out and "rotated-value-2" not in out
    fake.reset_calls()
    assert cli(repo, "apply", str(repo / "p.json")) == 0
    assert fake.write_count() == 1 + LEASE_WRITES
    assert webhook(clients, repo).generic_web_service.request_headers["X-Api-Key"] == "rotated-value-2"


def test_restore_bootstraps_an_empty_stage_in_one_call(
    repo: Path, fake: FakeCX, clients: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_file = repo / "plan.json"
    assert cli(repo, "plan", "stg", "-o", str(plan_file)) == 0
    fake.reset_calls()
    assert cli(repo, "apply", str(plan_file), "--via", "restore") == 0
    assert fake.count("RestoreAgent") == 1 and fake.write_count() == 1 + LEASE_WRITES
    assert webhook(clients, repo).generic_web_service.request_headers["X-Api-Key"] == SECRET_VALUE
    assert cli(repo, "drift", "stg") == 0
    # Now the agent has content: restoring over it needs --force, and nothing is written.
    edit(
        next((repo / "agents/order-desk/intents").glob("order.status*.yaml")), lambda b: b.update(priority=7)
    )
    assert cli(repo, "plan", "stg", "-o", str(plan_file)) == 0
    fake.reset_calls()
    capsys.readouterr()
    assert cli(repo, "apply", str(plan_file), "--via", "restore") == 1
    assert "--via restore replaces the whole agent" in capsys.readouterr().err
    assert fake.write_count() == 0


def test_rollback_plans_back_to_the_backup(repo: Path, fake: FakeCX, clients: Any) -> None:
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    intent = next((repo / "agents/order-desk/intents").glob("order.status*.yaml"))
    edit(intent, lambda b: b["training_phrases"]["en"].append("track my parcel please"))
    assert cli(repo, "apply", "stg", "--auto-approve") == 0
    assert cli(repo, "drift", "stg") == 0
    # The newest backup is the state before the last apply: rolling back removes the phrase.
    assert cli(repo, "rollback", "stg", "-o", str(repo / "rb.json")) == 0
    planned = json.loads((repo / "rb.json").read_text())
    assert [(w["op"], w["kind"]) for w in planned["writes"]] == [("update", "intent")]
    assert cli(repo, "apply", str(repo / "rb.json")) == 0
    assert cli(repo, "drift", "stg") == 3  # live is the backup now, not the tree
    found = clients.intents.get_intent(
        request=cx.GetIntentRequest(
            name=next(
                i.name
                for i in clients.intents.list_intents(
                    parent=f"projects/{PROJECT}/locations/global/agents/"
                    + yaml.safe_load((repo / "environments/stg.yaml").read_text())["agent_id"]
                )
                if i.display_name == "order.status"
            ),
            language_code="en",
        )
    )
    assert all("track my parcel" not in "".join(p.text for p in tp.parts) for tp in found.training_phrases)


def test_promote_copies_the_source_stage_with_each_stage_keeping_its_overrides(
    repo: Path, fake: FakeCX, clients: Any
) -> None:
    dev = empty_agent(clients, "acme-bots-dev", ["en", "ja"], "Orders (dev)")
    stage_file(
        repo,
        "dev",
        "order-desk",
        "acme-bots-dev",
        dev,
        "secrets:\n  orders-api/X-Api-Key: env:CXOPS_DEV_KEY\n",
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CXOPS_DEV_KEY", "dev-key-value")
        assert cli(repo, "apply", "dev", "--auto-approve") == 0
    # A console edit in dev, then promote dev -> stg: stg gets it, with stg's URI and secret.
    agent_name = f"projects/acme-bots-dev/locations/global/agents/{dev}"
    intent = next(
        i for i in clients.intents.list_intents(parent=agent_name) if i.display_name == "order.status"
    )
    intent.training_phrases.append(
        cx.Intent.TrainingPhrase(
            parts=[cx.Intent.TrainingPhrase.Part(text="is my parcel lost")], repeat_count=1
        )
    )
    clients.intents.update_intent(request=cx.UpdateIntentRequest(intent=intent, language_code="en"))
    assert cli(repo, "promote", "dev", "stg", "--apply") == 0
    hook = webhook(clients, repo)
    assert hook.generic_web_service.uri == "https://orders.stg.example.com/cx"
    assert hook.generic_web_service.request_headers["X-Api-Key"] == SECRET_VALUE
    assert cli(repo, "promote", "dev", "stg") == 0  # nothing left to promote
    assert cli(repo, "drift", "stg") == 3  # the tree has not got dev's console edit yet


def test_the_plan_renders_as_a_pr_comment(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert cli(repo, "--format", "markdown", "plan", "stg") == 0
    out = capsys.readouterr().out
    assert out.startswith("## cxops plan: `stg` ← agents/order-desk")
    assert "write call(s)" in out and "<details><summary><code>+</code> intent order.status</summary>" in out
    assert "`stg: overrides.webhooks/orders-api.generic_web_service.uri`" in out
    assert SECRET_VALUE not in out and len(out) < 65_536


def test_the_start_flow_maps_by_role_whatever_its_name(repo: Path, fake: FakeCX, clients: Any) -> None:
    tree = repo / "agents" / "order-desk"
    for path in tree.rglob("*.yaml"):
        path.write_text(
            path.read_text(encoding="utf-8").replace("Default Start Flow", "Start Here"), encoding="utf-8"
        )
    (tree / "flows" / "Default Start Flow").rename(tree / "flows" / "Start Here")
    assert cli(repo, "plan", "stg", "-o", str(repo / "p.json")) == 0
    writes = json.loads((repo / "p.json").read_text())["writes"]
    assert not [
        w for w in writes if w["kind"] == "flow" and w["name"] == "Start Here" and w["op"] != "update"
    ]
    assert cli(repo, "apply", str(repo / "p.json")) == 0
    agent_id = yaml.safe_load((repo / "environments/stg.yaml").read_text())["agent_id"]
    start = clients.flows.get_flow(
        name=f"projects/{PROJECT}/locations/global/agents/{agent_id}/flows/00000000-0000-0000-0000-000000000000"
    )
    assert start.display_name == "Start Here"
    assert cli(repo, "drift", "stg") == 0


def test_plan_from_a_json_package_in_git(repo: Path, fake: FakeCX) -> None:
    import subprocess
    import zipfile

    assert cli(repo, "-q", "package", "order-desk", "-o", str(repo / "od.zip")) == 0
    with zipfile.ZipFile(repo / "od.zip") as archive:
        archive.extractall(repo / "cx-export")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
        "HOME": str(repo),
    }
    for args in (("init", "-q", "-b", "main"), ("add", "cx-export"), ("commit", "-q", "-m", "export")):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)
    assert cli(repo, "plan", "stg", "--from", "git:HEAD:cx-export", "-o", str(repo / "p.json")) == 0
    source = json.loads((repo / "p.json").read_text())["source"]
    assert source["kind"] == "git" and source["ref"] == "HEAD:cx-export" and len(source["commit"]) == 40
    assert cli(repo, "apply", str(repo / "p.json")) == 0
    assert cli(repo, "drift", "stg") == 0  # the package was the tree


def test_quiet_apply_drops_progress_and_keeps_the_result_line(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(repo, "-q", "apply", "stg", "--auto-approve") == 0
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out.startswith("stg: applied with ") and out.out.count("\n") == 1
    assert cli(repo, "apply", "stg", "--auto-approve", "-q") == 0
    assert capsys.readouterr().out == "stg: nothing to apply; live is the desired state\n"


def test_quiet_package_import_and_pull_keep_their_result_line(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    zipped = repo / "od.zip"
    assert cli(repo, "-q", "package", "order-desk", "-o", str(zipped)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{zipped}: ") and out.endswith(" files\n") and out.count("\n") == 1
    assert cli(repo, "-q", "import", str(zipped), "--agent", "copy") == 0
    out = capsys.readouterr().out
    assert out.startswith("agents/copy: ") and "files written, 0 removed" in out and out.count("\n") == 1
    assert cli(repo, "-q", "pull", "stg") == 0
    out = capsys.readouterr().out
    assert out.startswith("agents/order-desk: pulled ") and " removed, " in out and out.count("\n") == 1
