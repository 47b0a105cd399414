"""cxops.stage.config: stage files, their errors (file:line: key), sources and secrets."""

from __future__ import annotations

import dataclasses
import os
import textwrap
from pathlib import Path

import pytest

from cxops.cx.ratelimit import RateLimits
from cxops.errors import ConfigError, Location
from cxops.stage.config import (
    Stage,
    check_sources,
    load_stage,
    load_stages,
    parse_stage,
    resolve_secret,
)

FULL = """\
agent: pizza                  # tree under agents/
project: acme-bots-stg
location: global
agent_id: 0d5e1c2a-7b3f-4d9e-8a61-5c2f0e9b7a14
protected: false
approvals_required: 1
source: dev
overrides:
  webhooks/orders-api:
    generic_web_service.uri: https://orders.stg.example.com/cx
  flows/Orders/pages/Ask Size:
    entry_fulfillment.messages: [{text: {text: [Hello stg]}}]
  agent:
    description: staging copy
secrets:
  orders-api/X-Api-Key: env:CXOPS_ORDERS_API_KEY_STG
  orders-api/password: file:secrets/orders.txt
rate_limits: {reads_per_minute: 200, writes_per_minute: 60}
"""

MINIMAL = """\
agent: pizza
project: acme-bots-dev
agent_display_name: Pizza
"""


def write(root: Path, name: str, text: str) -> Path:
    path = root / "environments" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(root: Path, name: str, text: str) -> ConfigError:
    write(root, name, text)
    with pytest.raises(ConfigError) as caught:
        load_stage(root, name)
    return caught.value


# ---------------------------------------------------------------------------------------------
# Good files


def test_full_stage(tmp_path: Path) -> None:
    write(tmp_path, "stg", FULL)
    stage = load_stage(tmp_path, "stg")
    assert stage == Stage(
        name="stg",
        file="environments/stg.yaml",
        agent="pizza",
        project="acme-bots-stg",
        location="global",
        agent_id="0d5e1c2a-7b3f-4d9e-8a61-5c2f0e9b7a14",
        protected=False,
        approvals_required=1,
        source="dev",
        overrides={
            "webhooks/orders-api": {"generic_web_service.uri": "https://orders.stg.example.com/cx"},
            "flows/Orders/pages/Ask Size": {
                "entry_fulfillment.messages": [{"text": {"text": ["Hello stg"]}}]
            },
            "agent": {"description": "staging copy"},
        },
        secrets={
            "orders-api/X-Api-Key": "env:CXOPS_ORDERS_API_KEY_STG",
            "orders-api/password": "file:secrets/orders.txt",
        },
        rate_limits=RateLimits(reads_per_minute=200, writes_per_minute=60),
    )
    assert stage.root == tmp_path
    assert stage.parent == "projects/acme-bots-stg/locations/global"
    assert (
        stage.agent_path
        == "projects/acme-bots-stg/locations/global/agents/0d5e1c2a-7b3f-4d9e-8a61-5c2f0e9b7a14"
    )
    # Overrides keep the file's order: it is the order a reviewer reads them in.
    assert list(stage.overrides) == ["webhooks/orders-api", "flows/Orders/pages/Ask Size", "agent"]


def test_minimal_stage_defaults(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL)
    stage = load_stage(tmp_path, "dev")
    assert stage.location == "global"
    assert stage.agent_id is None and stage.agent_display_name == "Pizza"
    assert stage.agent_path is None
    assert stage.parent == "projects/acme-bots-dev/locations/global"
    assert stage.protected is False and stage.approvals_required == 0
    assert stage.source is None
    assert stage.overrides == {} and stage.secrets == {}
    assert stage.rate_limits == RateLimits(None, None)


def test_protected_stage_defaults_to_one_approval(tmp_path: Path) -> None:
    write(tmp_path, "prd", MINIMAL + "protected: true\n")
    stage = load_stage(tmp_path, "prd")
    assert stage.protected is True and stage.approvals_required == 1


@pytest.mark.parametrize(
    ("location", "endpoint"),
    [
        ("us-central1", "us-central1-dialogflow.googleapis.com"),
        ("europe-west1", "europe-west1-dialogflow.googleapis.com"),
        ("northamerica-northeast1", "northamerica-northeast1-dialogflow.googleapis.com"),
        ("us", "us-dialogflow.googleapis.com"),
        ("global", "dialogflow.googleapis.com"),
    ],
)
def test_regional_stage(tmp_path: Path, location: str, endpoint: str) -> None:
    write(tmp_path, "stg", f"{MINIMAL}location: {location}\n")
    stage = load_stage(tmp_path, "stg")
    assert stage.parent == f"projects/acme-bots-dev/locations/{location}"
    assert stage.connection_settings(environ={}).endpoint == endpoint
    assert stage.connection_settings(emulator_host="localhost:1", environ={}).endpoint == "localhost:1"


def test_null_optional_keys_count_as_absent(tmp_path: Path) -> None:
    # A section whose entries are all commented out is null in YAML.
    text = (
        MINIMAL + "location:\nsource:\noverrides:\nsecrets:\nrate_limits:\nprotected:\napprovals_required:\n"
    )
    write(tmp_path, "dev", text)
    stage = load_stage(tmp_path, "dev")
    assert stage == Stage(
        name="dev",
        file="environments/dev.yaml",
        agent="pizza",
        project="acme-bots-dev",
        agent_display_name="Pizza",
    )


@pytest.mark.parametrize(
    "text",
    [
        "agent: pizza.v2_bot-1\nproject: acme-bots-dev\nagent_id: abc_123-X\n",
        "agent: '7up'\nproject: example.com:acme-bots\nagent_display_name: '日本語 bot'\n",
        "agent: pizza\nproject: a23456\nagent_id: '12345'\nrate_limits: {reads_per_minute: 0.5}\n",
        "agent: pizza\nproject: abcdefghijklmnopqrstuvwxyz1234\nagent_display_name: Pizza\nprotected: yes\n",
    ],
)
def test_other_good_shapes(tmp_path: Path, text: str) -> None:
    write(tmp_path, "dev", text)
    load_stage(tmp_path, "dev")


def test_load_stages_sorted_with_sources(tmp_path: Path) -> None:
    write(tmp_path, "stg", MINIMAL + "source: dev\n")
    write(tmp_path, "prd", MINIMAL + "source: stg\nprotected: true\napprovals_required: 2\n")
    write(tmp_path, "dev", MINIMAL)
    # Not stages: hidden files, other extensions, folders.
    (tmp_path / "environments" / ".gitkeep").write_text("")
    (tmp_path / "environments" / "README.md").write_text("# stages\n")
    (tmp_path / "environments" / "old").mkdir()
    stages = load_stages(tmp_path)
    assert list(stages) == ["dev", "prd", "stg"]
    assert stages["prd"].approvals_required == 2
    assert stages["stg"].source == "dev"


def test_no_environments_folder(tmp_path: Path) -> None:
    assert load_stages(tmp_path) == {}
    with pytest.raises(ConfigError) as caught:
        load_stage(tmp_path, "dev")
    assert (
        str(caught.value)
        == f"environments/dev.yaml: no such stage; there is no environments/ folder in {tmp_path}"
    )


# ---------------------------------------------------------------------------------------------
# Bad files: each message names the file, the line and the key

BAD = [
    # YAML itself (yamlio's words, as a ConfigError)
    (
        "agent: pizza\nproject: [acme\n",
        "environments/stg.yaml:3: invalid YAML: did not find expected ',' or ']' (column 1), while parsing a flow sequence at line 2",
    ),
    (
        "agent: pizza\nproject: acme-bots\nagent: pasta\n",
        "environments/stg.yaml:3: agent: duplicate key (first at line 1)",
    ),
    ("", "environments/stg.yaml: is empty: a stage needs at least agent, project and agent_id"),
    ("- agent: pizza\n", "environments/stg.yaml:1: must be a mapping of settings, not a list"),
    # unknown keys
    (
        MINIMAL + "protectd: true\n",
        "environments/stg.yaml:4: protectd: unknown key; did you mean 'protected'?",
    ),
    (
        MINIMAL + "colour: blue\n",
        "environments/stg.yaml:4: colour: unknown key (known keys: agent, project, location, agent_id,"
        " agent_display_name, protected, approvals_required, approvals, source, overrides, data_stores, secrets, secrets_env_prefix, secrets_dir, rate_limits, tests, preview, versions, environment)",
    ),
    (
        MINIMAL + "rate_limits:\n  reads_per_minute: 10\n  write_per_minute: 5\n",
        "environments/stg.yaml:6: rate_limits.write_per_minute: unknown key; did you mean 'writes_per_minute'?",
    ),
    # required keys
    ("project: acme-bots\nagent_id: abc\n", "environments/stg.yaml: agent: is required"),
    ("agent:\nproject: acme-bots\nagent_id: abc\n", "environments/stg.yaml:1: agent: is required"),
    ("agent: pizza\nagent_id: abc\n", "environments/stg.yaml: project: is required"),
    (
        "agent: pizza\nproject: acme-bots\n",
        "environments/stg.yaml: agent_id: is required, or agent_display_name instead",
    ),
    (
        "agent: pizza\nproject: acme-bots\nagent_id: abc\nagent_display_name: Pizza\n",
        "environments/stg.yaml:4: agent_display_name: give agent_id or agent_display_name, not both",
    ),
    (
        "agent: pizza\nagent_display_name: Pizza\nproject: acme-bots\nagent_id: abc\n",
        "environments/stg.yaml:4: agent_id: give agent_id or agent_display_name, not both",
    ),
    # shapes and types
    (
        "agent: Pizza\nproject: acme-bots\nagent_id: abc\n",
        "environments/stg.yaml:1: agent: 'Pizza' is not an agent name: use lowercase letters, digits, '.', '-'"
        " and '_', starting with a letter or digit",
    ),
    (
        "agent: ../pizza\nproject: acme-bots\nagent_id: abc\n",
        "environments/stg.yaml:1: agent: '../pizza' is not an agent name: use lowercase letters, digits, '.',"
        " '-' and '_', starting with a letter or digit",
    ),
    (
        "agent: [pizza]\nproject: acme-bots\nagent_id: abc\n",
        "environments/stg.yaml:1: agent: must be the name of a tree under agents/, not a list",
    ),
    *(
        (
            f"agent: pizza\nproject: {project}\nagent_id: abc\n",
            f"environments/stg.yaml:2: project: {project!r} is not a project id: 6 to 30 lowercase letters,"
            " digits or hyphens, starting with a letter and not ending with a hyphen",
        )
        for project in ("Acme-Bots", "acme", "1acme-bots", "acme-bots-", "acme_bots", "a" * 31)
    ),
    (
        "agent: pizza\nproject: 123456789012\nagent_id: abc\n",
        "environments/stg.yaml:2: project: write the project id, not its number",
    ),
    (
        MINIMAL + "location: gloabl\n",
        "environments/stg.yaml:4: location: 'gloabl' is not a CX location: use global, us, eu or a region"
        " such as us-central1 or europe-west1; did you mean 'global'?",
    ),
    (
        MINIMAL + "location: US-Central1\n",
        "environments/stg.yaml:4: location: 'US-Central1' is not a CX location: use global, us, eu or a region"
        " such as us-central1 or europe-west1",
    ),
    (
        MINIMAL + "location: us-central1.\n",
        "environments/stg.yaml:4: location: 'us-central1.' is not a CX location: use global, us, eu or a region"
        " such as us-central1 or europe-west1",
    ),
    (
        "agent: pizza\nproject: acme-bots\nagent_id: projects/acme-bots/locations/global/agents/abc\n",
        "environments/stg.yaml:3: agent_id: write only the id after /agents/: project and location are keys"
        " of their own",
    ),
    (
        "agent: pizza\nproject: acme-bots\nagent_id: 'a b'\n",
        "environments/stg.yaml:3: agent_id: 'a b' is not an agent id (the last part of the agent's resource name)",
    ),
    (
        "agent: pizza\nproject: acme-bots\nagent_id: 12345\n",
        "environments/stg.yaml:3: agent_id: must be the agent's id, not 12345",
    ),
    (
        "agent: pizza\nproject: acme-bots\nagent_display_name: ' '\n",
        "environments/stg.yaml:3: agent_display_name: must not be empty",
    ),
    (MINIMAL + 'protected: "yes"\n', "environments/stg.yaml:4: protected: must be true or false, not 'yes'"),
    (MINIMAL + "protected: 1\n", "environments/stg.yaml:4: protected: must be true or false, not 1"),
    (
        MINIMAL + "protected: true\napprovals_required: 0\n",
        "environments/stg.yaml:5: approvals_required: must be at least 1 on a protected stage",
    ),
    (
        MINIMAL + "approvals_required: -1\n",
        "environments/stg.yaml:4: approvals_required: must be a whole number, 0 or more, not -1",
    ),
    (
        MINIMAL + "approvals_required: 1.5\n",
        "environments/stg.yaml:4: approvals_required: must be a whole number, 0 or more, not 1.5",
    ),
    (
        MINIMAL + "approvals_required: true\n",
        "environments/stg.yaml:4: approvals_required: must be a whole number, 0 or more, not true",
    ),
    (
        MINIMAL + "source: Dev\n",
        "environments/stg.yaml:4: source: 'Dev' is not a stage name: use lowercase letters, digits, '-' and '_',"
        " starting with a letter or digit",
    ),
    (MINIMAL + "source: [dev]\n", "environments/stg.yaml:4: source: must be a stage name, not a list"),
    # rate limits
    (
        MINIMAL
        + "source: dev\nprotected: false\nrate_limits:\n  reads_per_minute: 200\n  writes_per_minute: -5\n",
        "environments/stg.yaml:8: rate_limits.writes_per_minute: must be a positive number, not -5",
    ),
    (
        MINIMAL + "rate_limits: {reads_per_minute: 0}\n",
        "environments/stg.yaml:4: rate_limits.reads_per_minute: must be a positive number, not 0",
    ),
    (
        MINIMAL + "rate_limits: {reads_per_minute: '60'}\n",
        "environments/stg.yaml:4: rate_limits.reads_per_minute: must be a positive number, not '60'",
    ),
    (
        MINIMAL + "rate_limits: {reads_per_minute: .inf}\n",
        "environments/stg.yaml:4: rate_limits.reads_per_minute: must be a positive number, not inf",
    ),
    (
        MINIMAL + "rate_limits: {reads_per_minute: true}\n",
        "environments/stg.yaml:4: rate_limits.reads_per_minute: must be a positive number, not true",
    ),
    (
        MINIMAL + "rate_limits: 60\n",
        "environments/stg.yaml:4: rate_limits: must be a mapping of limits (reads_per_minute,"
        " writes_per_minute), not 60",
    ),
    # overrides
    (
        MINIMAL + "overrides:\n  hooks/orders-api:\n    generic_web_service.uri: x\n",
        "environments/stg.yaml:5: overrides.hooks/orders-api: unknown kind folder 'hooks'; did you mean 'webhooks'?",
    ),
    (
        MINIMAL + "overrides:\n  Orders:\n    description: x\n",
        "environments/stg.yaml:5: overrides.Orders: unknown kind folder 'Orders' (kinds: agent,"
        " generative-settings, flows, route-groups, intents, entity-types, webhooks, test-cases, generators,"
        " playbooks, tools)",
    ),
    (
        MINIMAL + "overrides:\n  webhooks/:\n    timeout: 5s\n",
        "environments/stg.yaml:5: overrides.webhooks/: name the resource: webhooks/<display name>",
    ),
    (
        MINIMAL + "overrides:\n  agent/Pizza:\n    description: x\n",
        "environments/stg.yaml:5: overrides.agent/Pizza: agent takes no display name: write 'agent'",
    ),
    (
        MINIMAL + "overrides:\n  webhooks/orders-api: https://x\n",
        "environments/stg.yaml:5: overrides.webhooks/orders-api: must be a mapping of field paths to values,"
        " not 'https://x'",
    ),
    (
        MINIMAL + "overrides:\n  webhooks/orders-api:\n    generic_web_service..uri: x\n",
        'environments/stg.yaml:6: overrides.webhooks/orders-api["generic_web_service..uri"]: is not a field path:'
        " field names joined by '.', e.g. generic_web_service.uri",
    ),
    (
        MINIMAL + "overrides:\n  flows/Orders/pages/Ask Size:\n    display_name: Ask Size (stg)\n",
        'environments/stg.yaml:6: overrides["flows/Orders/pages/Ask Size"].display_name: a resource\'s display'
        " name is its key: it cannot differ per stage",
    ),
    (
        MINIMAL + "overrides: [webhooks/orders-api]\n",
        "environments/stg.yaml:4: overrides: must be a mapping of resource keys to field values, not a list",
    ),
    (
        MINIMAL
        + "overrides:\n  webhooks/orders-api:\n    generic_web_service.request_headers.X-Key: ${secret:orders/key}\n",
        'environments/stg.yaml:6: overrides.webhooks/orders-api["generic_web_service.request_headers.X-Key"]:'
        " uses ${secret:orders/key}, which secrets does not list",
    ),
    # secrets: the form only, and a malformed source is never quoted back
    (
        MINIMAL + "secrets:\n  orders-api/X-Api-Key: ENV:CXOPS_ORDERS_KEY\n",
        "environments/stg.yaml:5: secrets.orders-api/X-Api-Key: must be env:VARIABLE or file:PATH (a secret's"
        " value never goes in a stage file)",
    ),
    (
        MINIMAL + "secrets:\n  orders-api/X-Api-Key: env:1ORDERS\n",
        "environments/stg.yaml:5: secrets.orders-api/X-Api-Key: env: needs a variable name: letters, digits and"
        " '_', not starting with a digit",
    ),
    (
        MINIMAL + "secrets:\n  orders-api/X-Api-Key: 'file: '\n",
        "environments/stg.yaml:5: secrets.orders-api/X-Api-Key: file: needs a path",
    ),
    (
        MINIMAL + "secrets:\n  orders-api/X-Api-Key: 12345\n",
        "environments/stg.yaml:5: secrets.orders-api/X-Api-Key: must be env:VARIABLE or file:PATH, not a number",
    ),
    (
        MINIMAL + "secrets:\n  orders-api/X-Api-Key:\n",
        "environments/stg.yaml:5: secrets.orders-api/X-Api-Key: must be env:VARIABLE or file:PATH, not null",
    ),
    (
        MINIMAL + "secrets:\n  '${secret:orders-api/X-Api-Key}': env:CXOPS_ORDERS_KEY\n",
        "environments/stg.yaml:5: secrets.${secret:orders-api/X-Api-Key}: is not a placeholder name: the NAME"
        " of ${secret:NAME}, without '{', '}', '$', control characters or spaces at either end",
    ),
    (
        MINIMAL + "secrets:\n  ' orders-api/key': env:CXOPS_ORDERS_KEY\n",
        'environments/stg.yaml:5: secrets[" orders-api/key"]: is not a placeholder name: the NAME of'
        " ${secret:NAME}, without '{', '}', '$', control characters or spaces at either end",
    ),
    (
        MINIMAL + "secrets: env:CXOPS_ORDERS_KEY\n",
        "environments/stg.yaml:4: secrets: must be a mapping of placeholder names to env:VARIABLE or file:PATH,"
        " not 'env:CXOPS_ORDERS_KEY'",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m.split(": ", 2)[-1][:50] for _, m in BAD])
def test_bad_stage_file(tmp_path: Path, text: str, message: str) -> None:
    error = error_of(tmp_path, "stg", text)
    assert str(error) == message
    assert error.location is not None and error.location.file == "environments/stg.yaml"


def test_error_location_parts(tmp_path: Path) -> None:
    error = error_of(tmp_path, "stg", MINIMAL + "rate_limits:\n  writes_per_minute: -5\n")
    assert error.location == Location("environments/stg.yaml", 5, "rate_limits.writes_per_minute")
    assert error.message == "must be a positive number, not -5"


def test_malformed_secret_source_is_not_quoted(tmp_path: Path) -> None:
    # The most likely malformed source is the secret itself, pasted in.
    for source in ("hunter2-s3cr3t", "env:hunter2 s3cr3t", "vault:hunter2-s3cr3t"):
        error = error_of(tmp_path, "stg", MINIMAL + f"secrets:\n  orders-api/key: '{source}'\n")
        assert "hunter2" not in str(error)
        assert "s3cr3t" not in str(error)


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "stg", MINIMAL)
    path.write_bytes(b"agent: pizza\nproject: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_stage(tmp_path, "stg")
    assert str(caught.value) == "environments/stg.yaml:2: is not UTF-8 text: save it as UTF-8"


# ---------------------------------------------------------------------------------------------
# Finding stages


def test_no_such_stage_lists_the_others(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL)
    write(tmp_path, "prd", MINIMAL)
    with pytest.raises(ConfigError) as caught:
        load_stage(tmp_path, "stg")
    assert str(caught.value) == "environments/stg.yaml: no such stage; stages here: dev, prd"
    assert caught.value.location == Location("environments/stg.yaml")


def test_no_stages_at_all(tmp_path: Path) -> None:
    (tmp_path / "environments").mkdir()
    with pytest.raises(ConfigError) as caught:
        load_stage(tmp_path, "stg")
    assert str(caught.value) == "environments/stg.yaml: no such stage; there are no stages in environments/"


def test_yml_file_is_pointed_out(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL)
    (tmp_path / "environments" / "stg.yml").write_text(MINIMAL)
    with pytest.raises(ConfigError) as caught:
        load_stage(tmp_path, "stg")
    assert (
        str(caught.value)
        == "environments/stg.yaml: no such stage; stage files end in .yaml: rename stg.yml to stg.yaml"
    )
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert str(caught.value) == "environments/stg.yml: stage files end in .yaml: rename it to stg.yaml"


@pytest.mark.parametrize("name", ["Stg", "../stg", "stg.old", "-stg", "", "st g"])
def test_bad_stage_name_asked_for(tmp_path: Path, name: str) -> None:
    write(tmp_path, "stg", MINIMAL)
    with pytest.raises(ConfigError) as caught:
        load_stage(tmp_path, name)
    assert str(caught.value) == (
        f"{name!r} is not a stage name: use lowercase letters, digits, '-' and '_', starting with a letter or digit"
    )


def test_bad_stage_file_name(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL)
    write(tmp_path, "Prod", MINIMAL)
    # Loading one stage is not stopped by a stray file next to it...
    assert load_stage(tmp_path, "dev").name == "dev"
    # ...but loading them all names it.
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert str(caught.value) == (
        "environments/Prod.yaml: 'Prod' is not a stage name: use lowercase letters, digits, '-' and '_',"
        " starting with a letter or digit"
    )


def test_case_insensitive_file_system_does_not_alias(tmp_path: Path) -> None:
    write(tmp_path, "STG", MINIMAL)
    with pytest.raises(ConfigError, match="no such stage"):
        load_stage(tmp_path, "stg")


# ---------------------------------------------------------------------------------------------
# Sources across stages


def test_unknown_source(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL)
    write(tmp_path, "stg", MINIMAL + "protected: false\nsource: dve\n")
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert (
        str(caught.value)
        == "environments/stg.yaml:5: source: no stage 'dve'; did you mean 'dev'? (stages: dev, stg)"
    )


def test_source_deploying_another_agent(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL.replace("agent: pizza", "agent: pasta"))
    write(tmp_path, "stg", MINIMAL + "source: dev\n")
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert str(caught.value) == (
        "environments/stg.yaml:4: source: stage 'dev' deploys agent 'pasta', not 'pizza':"
        " promoting it here would replace this agent with another"
    )


def test_source_cycle(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL + "source: prd\n")
    write(tmp_path, "stg", MINIMAL + "source: dev\n")
    write(tmp_path, "prd", MINIMAL + "protected: true\nsource: stg\n")
    write(tmp_path, "qa", MINIMAL + "source: stg\n")  # leads into the cycle, is not part of it
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert (
        str(caught.value) == "environments/dev.yaml:4: source: sources form a cycle: dev -> prd -> stg -> dev"
    )


def test_own_source(tmp_path: Path) -> None:
    write(tmp_path, "dev", MINIMAL + "source: dev\n")
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert str(caught.value) == "environments/dev.yaml:4: source: a stage cannot be its own source"


def test_check_sources_on_built_stages() -> None:
    def stage(name: str, source: str | None) -> Stage:
        return Stage(name, f"environments/{name}.yaml", "pizza", "acme-bots", agent_id="a", source=source)

    check_sources({"dev": stage("dev", None), "stg": stage("stg", "dev"), "prd": stage("prd", "stg")})
    with pytest.raises(ConfigError) as caught:
        check_sources({"a": stage("a", "b"), "b": stage("b", "a")})
    # Built by hand, the stage has no positions: file and key, no line.
    assert str(caught.value) == "environments/a.yaml: source: sources form a cycle: a -> b -> a"


def test_hand_built_stage_invariants() -> None:
    with pytest.raises(ConfigError, match="exactly one of agent_id and agent_display_name"):
        Stage("dev", "environments/dev.yaml", "pizza", "acme-bots")
    with pytest.raises(ConfigError, match="at least 1 on a protected stage"):
        Stage("prd", "environments/prd.yaml", "pizza", "acme-bots", agent_id="a", protected=True)


def test_parse_stage_from_text() -> None:
    stage = parse_stage(MINIMAL, "dev")
    assert stage.file == "environments/dev.yaml" and stage.root is None
    assert stage.location_of(("agent_display_name",)) == Location(
        "environments/dev.yaml", 3, "agent_display_name"
    )


# ---------------------------------------------------------------------------------------------
# Secrets

SECRET = "s3cr3t-Zq8w!"


@pytest.fixture
def stage(tmp_path: Path) -> Stage:
    write(tmp_path, "stg", FULL)
    return load_stage(tmp_path, "stg")


def test_secret_from_env(stage: Stage) -> None:
    assert resolve_secret(stage, "orders-api/X-Api-Key", {"CXOPS_ORDERS_API_KEY_STG": SECRET}) == SECRET


def test_secret_from_os_environ_by_default(stage: Stage, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CXOPS_ORDERS_API_KEY_STG", SECRET)
    assert resolve_secret(stage, "orders-api/X-Api-Key") == SECRET
    assert os.environ["CXOPS_ORDERS_API_KEY_STG"] == SECRET


def test_secret_from_file_relative_to_root(
    stage: Stage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "orders.txt").write_text(SECRET + "\n")
    monkeypatch.chdir("/")  # the repo root, not the working directory, anchors the path
    assert resolve_secret(stage, "orders-api/password", {}) == SECRET
    (tmp_path / "secrets" / "orders.txt").write_bytes(SECRET.encode() + b"\r\n")
    assert resolve_secret(stage, "orders-api/password", {}) == SECRET
    # Only one line break is the file's ending; more belong to the value.
    (tmp_path / "secrets" / "orders.txt").write_text(SECRET + "\n\n")
    assert resolve_secret(stage, "orders-api/password", {}) == SECRET + "\n"


def test_secret_from_absolute_file(stage: Stage, tmp_path: Path) -> None:
    secret_file = tmp_path / "elsewhere" / "key"
    secret_file.parent.mkdir()
    secret_file.write_text(SECRET)
    absolute = dataclasses.replace(stage, secrets={"orders-api/password": f"file:{secret_file}"})
    assert resolve_secret(absolute, "orders-api/password", {}) == SECRET


def unresolvable(stage: Stage, placeholder: str, environ: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        resolve_secret(stage, placeholder, environ)
    message = str(caught.value)
    assert SECRET not in message
    return message


def test_unset_and_empty_env(stage: Stage) -> None:
    assert unresolvable(stage, "orders-api/X-Api-Key", {"OTHER": SECRET}) == (
        "environments/stg.yaml:16: secrets.orders-api/X-Api-Key: environment variable CXOPS_ORDERS_API_KEY_STG is not set"
    )
    assert unresolvable(stage, "orders-api/X-Api-Key", {"CXOPS_ORDERS_API_KEY_STG": ""}) == (
        "environments/stg.yaml:16: secrets.orders-api/X-Api-Key: environment variable CXOPS_ORDERS_API_KEY_STG is empty"
    )


def test_unlisted_placeholder(stage: Stage) -> None:
    assert unresolvable(stage, "payments/token", {"CXOPS_ORDERS_API_KEY_STG": SECRET}) == (
        "environments/stg.yaml:15: secrets.payments/token: no source for secret 'payments/token':"
        " add it under secrets as env:VARIABLE or file:PATH"
    )


def test_missing_empty_and_binary_secret_files(stage: Stage, tmp_path: Path) -> None:
    where = "environments/stg.yaml:17: secrets.orders-api/password"
    assert unresolvable(stage, "orders-api/password", {}) == (
        f"{where}: cannot read secret file secrets/orders.txt: No such file or directory"
    )
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "orders.txt").write_text("\n")
    assert (
        unresolvable(stage, "orders-api/password", {}) == f"{where}: secret file secrets/orders.txt is empty"
    )
    # A decode error's own text quotes the bad byte, which is a byte of the secret.
    (tmp_path / "secrets" / "orders.txt").write_bytes(SECRET.encode() + b"\xff\xfe")
    message = unresolvable(stage, "orders-api/password", {})
    assert message == f"{where}: secret file secrets/orders.txt is not UTF-8 text"
    assert "xff" not in message
    (tmp_path / "secrets" / "orders.txt").unlink()
    (tmp_path / "secrets" / "orders.txt").mkdir()
    assert unresolvable(stage, "orders-api/password", {}).startswith(
        f"{where}: cannot read secret file secrets/orders.txt: "
    )


def test_loading_never_reads_secrets(tmp_path: Path) -> None:
    # A stage whose secret sources do not exist yet still loads: values are read at apply time.
    write(
        tmp_path,
        "stg",
        MINIMAL + "secrets:\n  a/b: file:keys/nonexistent\n  c/d: env:CXOPS_NOT_SET_ANYWHERE\n",
    )
    stage = load_stage(tmp_path, "stg")
    assert stage.secrets == {"a/b": "file:keys/nonexistent", "c/d": "env:CXOPS_NOT_SET_ANYWHERE"}


# A pull request can edit a stage file; apply on merge runs with the runner's environment and
# disk. Each of these would hand a CI credential or a runner file to a webhook: refused at load.
REFUSED_SOURCES = [
    ("env:GITHUB_TOKEN", "env:GITHUB_TOKEN is the CI system's own variable"),
    ("env:ACTIONS_ID_TOKEN_REQUEST_TOKEN", "env:ACTIONS_ID_TOKEN_REQUEST_TOKEN is the CI system's own"),
    ("env:RUNNER_TEMP", "env:RUNNER_TEMP is the CI system's own variable"),
    ("env:GOOGLE_APPLICATION_CREDENTIALS", "env:GOOGLE_APPLICATION_CREDENTIALS is the CI system's own"),
    ("env:CLOUDSDK_AUTH_ACCESS_TOKEN", "env:CLOUDSDK_AUTH_ACCESS_TOKEN is the CI system's own"),
    ("env:AWS_SECRET_ACCESS_KEY", "env: variables must start with CXOPS_ (secrets_env_prefix); AWS_SECRET"),
    ("file:/etc/passwd", "file:/etc/passwd resolves outside the repository"),
    ("file:~/.ssh/id_rsa", "file:~/.ssh/id_rsa resolves outside the repository"),
    ("file:../../outside", "file:../../outside resolves outside the repository"),
    ("file:secrets/../../outside", "file:secrets/../../outside resolves outside the repository"),
]


@pytest.mark.parametrize(("source", "message"), REFUSED_SOURCES)
def test_secret_sources_are_confined(tmp_path: Path, source: str, message: str) -> None:
    error = error_of(tmp_path, "stg", MINIMAL + f"secrets:\n  orders-api/key: '{source}'\n")
    assert str(error).startswith(f"environments/stg.yaml:5: secrets.orders-api/key: {message}")


def test_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "keys").mkdir(parents=True)
    (tmp_path / "runner-secret").write_text(SECRET)
    (repo / "keys" / "innocent.txt").symlink_to(tmp_path / "runner-secret")
    error = error_of(repo, "stg", MINIMAL + "secrets:\n  orders-api/key: file:keys/innocent.txt\n")
    assert str(error) == (
        "environments/stg.yaml:5: secrets.orders-api/key: file:keys/innocent.txt resolves outside the"
        " repository; secret files must lie inside it"
    )


def test_stage_prefix_and_secrets_dir_widen_only_what_they_name(tmp_path: Path) -> None:
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    (mounted / "key").write_text(SECRET)
    repo = tmp_path / "repo"
    text = MINIMAL + (
        f"secrets_env_prefix: ORDERS_\nsecrets_dir: {mounted}\n"
        f"secrets:\n  a/b: file:{mounted}/key\n  c/d: env:ORDERS_KEY\n"
    )
    write(repo, "stg", text)
    stage = load_stage(repo, "stg")
    assert resolve_secret(stage, "a/b", {}) == SECRET
    assert resolve_secret(stage, "c/d", {"ORDERS_KEY": SECRET}) == SECRET
    # The default prefix no longer applies, and CI variables stay refused whatever the prefix.
    error = error_of(repo, "stg", MINIMAL + "secrets_env_prefix: GITHUB_\n")
    assert (
        str(error)
        == "environments/stg.yaml:4: secrets_env_prefix: GITHUB_ would admit the CI system's own variables"
    )
    error = error_of(repo, "stg", MINIMAL + "secrets_env_prefix: G\n")
    assert (
        str(error)
        == "environments/stg.yaml:4: secrets_env_prefix: G would admit the CI system's own variables"
    )


def test_a_file_turned_symlink_after_loading_is_refused_at_read(tmp_path: Path) -> None:
    write(tmp_path, "stg", MINIMAL + "secrets:\n  a/b: file:keys/k\n")
    stage = load_stage(tmp_path, "stg")
    (tmp_path / "keys").mkdir()
    (tmp_path.parent / f"{tmp_path.name}-outside").write_text(SECRET)
    (tmp_path / "keys" / "k").symlink_to(tmp_path.parent / f"{tmp_path.name}-outside")
    with pytest.raises(ConfigError, match="resolves outside the repository"):
        resolve_secret(stage, "a/b", {})


# ---------------------------------------------------------------------------------------------
# tests: the test gate's setting


@pytest.mark.parametrize(
    ("text", "required", "on"),
    [
        ("tests: required\n", True, None),
        ("tests: {required: true}\n", True, None),
        ("tests:\n  required: true\n  'on': stg\n", True, "stg"),
        ('tests: {required: false, "on": stg}\n', False, "stg"),
        ("tests:\n", False, None),
    ],
)
def test_tests_setting(tmp_path: Path, text: str, required: bool, on: str | None) -> None:
    write(tmp_path, "prd", MINIMAL + text)
    stage = load_stage(tmp_path, "prd")
    assert (stage.tests_required, stage.tests_on) == (required, on)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "tests: yes please\n",
            "prd.yaml:4: tests: must be required or a mapping {required: true, on: STAGE}",
        ),
        ("tests: {required: 1}\n", "prd.yaml:4: tests.required: must be true or false, not 1"),
        ("tests: {requird: true}\n", "prd.yaml:4: tests.requird: unknown key; did you mean 'required'?"),
        ("tests: {'on': Stg}\n", "prd.yaml:4: tests.on: 'Stg' is not a stage name"),
        ("tests: {'on': prd}\n", "prd.yaml:4: tests.on: names this stage"),
        # YAML 1.1 reads a bare `on` as true; the reader says so rather than guessing.
        ("tests: {on: stg}\n", "prd.yaml:4: tests: key 'on' is read as bool, not text: quote it"),
    ],
)
def test_bad_tests_setting(tmp_path: Path, text: str, message: str) -> None:
    assert message in str(error_of(tmp_path, "prd", MINIMAL + text))


def test_tests_on_is_checked_across_stages(tmp_path: Path) -> None:
    write(tmp_path, "stg", MINIMAL)
    write(tmp_path, "prd", MINIMAL + "tests: {required: true, 'on': stgg}\n")
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert str(caught.value).startswith(
        "environments/prd.yaml:4: tests.on: no stage 'stgg'; did you mean 'stg'?"
    )
    write(tmp_path, "prd", MINIMAL.replace("pizza", "pasta") + "tests: {required: true, 'on': stg}\n")
    with pytest.raises(ConfigError) as caught:
        load_stages(tmp_path)
    assert "tests.on: stage 'stg' deploys agent 'pizza', not 'pasta'" in str(caught.value)
