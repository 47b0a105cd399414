"""The CLI frame: version, help, the one error handler and its exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cxops import __version__
from cxops.cli.fake import parse_fault
from cxops.cli.main import main
from cxops.errors import ConfigError, Location


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cxops {__version__}"


def test_help_lists_the_commands_that_exist(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("demo", "fake"):
        assert f"  {command} " in out
    for option in ("--root", "--format", "--emulator-host", "--endpoint", "--debug", "--no-color", "--quiet"):
        assert option in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_expected_error_is_one_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fake", "serve", "--fail", "CreateFlow"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: --fail 'CreateFlow'")
    assert "Traceback" not in err


@pytest.mark.parametrize("port", ["-1", "65536"])
def test_fake_serve_refuses_a_port_out_of_range(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fake", "serve", "--port", port]) == 1
    assert capsys.readouterr().err == f"error: --port {port}: not a port number (0-65535)\n"


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "fake", "serve", "--fail", "CreateFlow"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_bad_state_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json")
    assert main(["fake", "serve", "--state", str(state)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: --state {state}: cannot load") and err.count("\n") == 1


def test_console_script_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cxops", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == f"cxops {__version__}"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("CreateFlow=UNAVAILABLE", ("CreateFlow", "UNAVAILABLE", 1, False)),
        ("CreatePage=unavailable:3", ("CreatePage", "UNAVAILABLE", 3, False)),
        ("UpdatePage=INTERNAL:2:after", ("UpdatePage", "INTERNAL", 2, True)),
        ("UpdatePage=ABORTED:after", ("UpdatePage", "ABORTED", 1, True)),
    ],
)
def test_parse_fault(spec: str, expected: tuple[str, str, int, bool]) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize("spec", ["", "CreateFlow", "CreateFlow=", "CreateFlow=UNAVAILABLE:zero", "X=Y:0"])
def test_parse_fault_refuses(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_fault(spec)


def test_location_renders_file_line_and_key() -> None:
    assert str(ConfigError("not a string", Location("environments/stg.yaml", 4, "agent_id"))) == (
        "environments/stg.yaml:4: agent_id: not a string"
    )


def test_global_options_are_accepted_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import shutil

    from tests.stagerepo import SAMPLE

    shutil.copytree(SAMPLE, tmp_path / "agents" / "order-desk")
    monkeypatch.chdir(tmp_path.parent)
    assert main(["validate", "--root", str(tmp_path), "--format", "json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["agents"] == ["order-desk"]
    # After the command wins over before it.
    assert (
        main(
            [
                "--format",
                "json",
                "--root",
                "/nowhere",
                "validate",
                "--format",
                "text",
                "--root",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == "validate order-desk: no problems\n"
    tree = str(tmp_path / "agents" / "order-desk")
    assert main(["diff", tree, tree, "--format", "markdown", "--no-color"]) == 0
    assert main(["fake", "serve", "--fail", "nonsense", "-q"]) == 1  # parsed; only the fault is refused
    capsys.readouterr()
