"""The CLI's contract: --help teaches every flag, bad usage/config exits 2 with one line per problem,
failures exit 1 with one masked line, and unexpected errors point at the JSON log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from producthuntdb.cli import app, print_report, report_dict, session
from producthuntdb.errors import ProductHuntDBError
from tests.plugins.cli import WIDE

TOKEN = "known-token-abcdefghijklmnopqrstuvwxyz-0123456789"


pytestmark = pytest.mark.usefixtures("isolated_cli")


def invoke(*args: str, **env: str) -> object:
    return CliRunner().invoke(app, list(args), env={**WIDE, **env})


HELP_FLAGS = {
    "sync": [
        "--since",
        "--full-refresh",
        "--max-points",
        "--max-minutes",
        "--with",
        "--budget-share",
        "--lookback",
    ],
    "build": ["--select", "--full-refresh"],
    "check": ["--allow-shrink"],
    "serve": ["producthuntdb serve", "snapshot"],
    "export": ["--out"],
    "publish": ["--dry-run", "--export-dir"],
    "run": ["--max-minutes", "--max-points", "--with", "--allow-shrink", "--lookback", "--publish"],
    "status": ["--json", "--offline"],
    "doctor": ["✓", "lock"],
    "demo": ["--scale", "--out", "--fresh", "--redaction", "pre-2023"],
    "report": ["--out", "offline"],
    "docs": ["dbt", "Data Docs"],
    "interactive": ["menu"],
    "api serve": [
        "--host",
        "--port",
        "--seed",
        "--scale",
        "--token",
        "--budget",
        "--window-seconds",
        "--now",
        "--fault-rate",
        "--faults",
        "--latency-ms",
        "--redaction",
    ],
}


@pytest.mark.parametrize("command", sorted(HELP_FLAGS))
def test_every_command_help_lists_its_flags_and_an_example(command: str) -> None:
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    for flag in HELP_FLAGS[command]:
        assert flag in result.stdout, (command, flag)
    assert "producthuntdb " + command in result.stdout, "help should show an example invocation"


@pytest.mark.parametrize("command", ["", "sync", "run", "build", "check", "export", "publish", "status", "demo"])
def test_flags_take_no_value_and_help_says_none(command: str) -> None:
    """``--full-refresh <bool>`` in help while ``--full-refresh yes`` is an error: help must not invite it."""
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.stdout


def test_the_plain_pipeline_script_names_itself_in_help_and_errors() -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "pipelines" / "producthunt.py"
    shown = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, check=False,
                           env={**WIDE, "PATH": "/usr/bin:/bin"})
    assert shown.returncode == 0, shown.stderr
    assert "Usage: python pipelines/producthunt.py [OPTIONS]" in shown.stdout
    assert "--full-refresh" in shown.stdout and "<bool>" not in shown.stdout
    bad = subprocess.run([sys.executable, str(script), "--bogus"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: No such option: --bogus (see: python pipelines/producthunt.py --help)"


def test_root_help_lists_commands_globals_and_completion() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for word in (
        "sync",
        "build",
        "check",
        "export",
        "publish",
        "run",
        "status",
        "doctor",
        "demo",
        "interactive",
        "api",
        "--log-json",
        "--log-level",
        "--env",
        "--data-dir",
        "--install-completion",
        "Exit codes",
    ):
        assert word in result.stdout, word


def test_version() -> None:
    from producthuntdb import __version__

    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"producthuntdb {__version__}"


def _one_error_line(result: object) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def test_malformed_token_exits_2_with_one_line(tmp_path: Path) -> None:
    result = invoke("sync", PRODUCTHUNT_TOKEN="short", PRODUCTHUNT_DATA_DIR=str(tmp_path))
    assert result.exit_code == 2
    assert "PRODUCTHUNT_TOKEN is malformed" in _one_error_line(result)
    assert "Traceback" not in result.output


def test_missing_token_exits_2_for_run(tmp_path: Path) -> None:
    result = invoke("run", PRODUCTHUNT_DATA_DIR=str(tmp_path))
    assert result.exit_code == 2
    assert "PRODUCTHUNT_TOKEN is not set" in _one_error_line(result)


def test_a_token_less_sync_says_where_tokens_come_from_and_that_the_demo_needs_none(tmp_path: Path) -> None:
    result = invoke("sync", PRODUCTHUNT_DATA_DIR=str(tmp_path))
    assert result.exit_code == 2
    line = _one_error_line(result)
    assert "https://www.producthunt.com/v2/oauth/applications" in line and "`make demo` needs none" in line


def test_global_options_work_after_the_command_too(tmp_path: Path) -> None:
    before = invoke("--data-dir", str(tmp_path / "a"), "status", "--json", "--offline")
    after = invoke("status", "--json", "--offline", "--data-dir", str(tmp_path / "a"), "--log-level=ERROR")
    assert before.exit_code == after.exit_code == 0, after.output
    assert json.loads(after.stdout)["db_path"] == json.loads(before.stdout)["db_path"]
    assert str(tmp_path / "a") in json.loads(after.stdout)["db_path"]


def test_each_config_problem_gets_its_own_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = invoke(
        "--data-dir",
        str(blocker / "d"),
        "publish",
        "--dry-run",
        PRODUCTHUNT_KAGGLE_USERNAME="someone",
    )
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert all(line.startswith("error: ") for line in lines)
    assert "PRODUCTHUNT_KAGGLE_KEY is missing" in lines[0]
    assert "cannot be created" in lines[1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["sync", "--budget-share", "2"], "PRODUCTHUNT_BUDGET_SHARE"),
        (["sync", "--lookback", "soon"], "--lookback"),
        (["sync", "--with", "comments,likes"], "likes"),
        (["sync", "--since", "yesterday"], "--since"),
        (["sync", "--max-points", "0"], "--max-points"),
        (["sync", "--max-minutes", "-5"], "--max-minutes"),
        (["--env", "staging", "status"], "staging"),
        (["--log-level", "chatty", "status"], "PRODUCTHUNT_LOG_LEVEL"),
        (["api", "serve", "--faults", "500,boom"], "boom"),
        (["api", "serve", "--redaction", "maybe"], "--redaction"),
        (["api", "serve", "--fault-rate", "2", "--faults", "500"], "fault_rate"),
        (["api", "serve", "--now", "noon"], "--now"),
        (["api", "serve", "--scale", "huge"], "huge"),
        (["no-such-command"], "no-such-command"),
    ],
)
def test_bad_usage_exits_2(args: list[str], needle: str) -> None:
    result = invoke(*args, PRODUCTHUNT_TOKEN=TOKEN)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output


def test_failure_is_one_masked_line_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ctx = None
    with (
        pytest.raises(typer.Exit) as info,
        session(ctx, "unit", overrides={"data_dir": tmp_path, "token": TOKEN, "log_level": "ERROR"}),
    ):
        raise ProductHuntDBError(f"the API said no to {TOKEN}")
    assert info.value.exit_code == 1
    err = capsys.readouterr().err
    assert err == "error: the API said no to ***\n"


def test_unexpected_error_points_at_the_log_which_holds_the_masked_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        pytest.raises(typer.Exit) as info,
        session(None, "unit", overrides={"data_dir": tmp_path, "token": TOKEN, "log_level": "ERROR"}),
    ):
        raise KeyError(f"lost {TOKEN}")
    assert info.value.exit_code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: unexpected KeyError:") and "traceback in" in err[0]
    assert TOKEN not in err[0]
    log_files = list((tmp_path / "logs").glob("*.jsonl"))
    assert len(log_files) == 1 and str(log_files[0]) in err[0]
    records = [json.loads(line) for line in log_files[0].read_text().splitlines()]
    crash = [r for r in records if r["level"] == "ERROR"]
    assert crash and "Traceback" in crash[-1]["exception"]["traceback"]
    assert "KeyError" in crash[-1]["exception"]["traceback"]
    assert TOKEN not in log_files[0].read_text()


@dataclass
class _Report:
    rows: int
    where: Path


class _AsDict:
    def as_dict(self) -> dict[str, object]:
        return {"status": "ok", "points": 12}


class _Plain:
    def __init__(self) -> None:
        self.passed = True
        self._hidden = 1


def test_report_dict_accepts_every_report_shape(tmp_path: Path) -> None:
    assert report_dict(_AsDict()) == {"status": "ok", "points": 12}
    assert report_dict(_Report(3, tmp_path)) == {"rows": 3, "where": tmp_path}
    assert report_dict({"a": 1}) == {"a": 1}
    assert report_dict(_Plain()) == {"passed": True}
    assert report_dict(None) == {}


def test_print_report_json_and_table(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = print_report("x", _Report(3, tmp_path), as_json=True)
    assert data == {"rows": 3, "where": str(tmp_path)}
    assert json.loads(capsys.readouterr().out) == data
    print_report("title", {"nested": {"a": [1, 2]}, "long": "y" * 500})
    out = capsys.readouterr().out
    assert "a 1, 2" in out
    assert "..." in out  # values longer than 200 characters are cut, not dumped


def test_reports_read_as_sentences_not_raw_fields(capsys: pytest.CaptureFixture[str]) -> None:
    """No ``stop_reason None``, no ``window_usage [0.99744, …]``, no rows as JSON."""
    from producthuntdb.syncmodel import SyncReport

    report = SyncReport(run_id="r", pages=3, points=1395, window_usage=[0.99744, 0.9812, 0.5])
    report.rows = {"posts": 60, "post_topics": 1234}
    print_report("sync", report)
    out = capsys.readouterr().out
    assert "None" not in out and "stop reason" not in out
    assert "3 windows, 82.6% of the budget used on average" in out
    assert "posts 60, post_topics 1,234" in out
    assert "{" not in out and "0.99744" not in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["sync", "--bogus"], "No such option: --bogus (see: producthuntdb sync --help)"),
        (["sync", "--since", "yesterday-ish"], "not a date"),
        (["api", "serve", "--scale", "huge"], "'huge' is not one of"),
        (["no-such-command"], "No such command"),
    ],
)
def test_console_script_turns_usage_errors_into_one_line(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from producthuntdb.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and needle in err[0], err


def test_console_script_keeps_help_and_command_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from producthuntdb.cli import main

    assert main([]) == 0 and "Usage: producthuntdb" in capsys.readouterr().out
    assert main(["status", "--help"]) == 0 and "--json" in capsys.readouterr().out
    assert main(["--version"]) == 0


def test_reports_print_data_as_written_not_as_markup(capsys: pytest.CaptureFixture[str]) -> None:
    print_report("report", {"pattern": "^[a-z0-9]+(-[a-z0-9]+)*$", "name": "[bold]Launch[/bold]"})
    out = capsys.readouterr().out
    assert "^[a-z0-9]+(-[a-z0-9]+)*$" in out and "[bold]Launch[/bold]" in out


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["sync", "--budget-share", "0"], {}, "error: --budget-share=0.0: Input should be greater than 0 (setting PRODUCTHUNT_BUDGET_SHARE)"),
        (["--log-level", "loud", "status"], {}, "error: --log-level='loud': must be one of"),
        (["sync"], {"PRODUCTHUNT_BUDGET_SHARE": "0"}, "error: PRODUCTHUNT_BUDGET_SHARE='0': Input should be greater than 0"),
    ],
)
def test_a_bad_flag_value_is_named_by_the_flag_typed(args: list[str], env: dict[str, str], expected: str) -> None:
    result = invoke(*args, PRODUCTHUNT_TOKEN=TOKEN, **env)
    assert result.exit_code == 2, result.output
    assert result.stderr.strip().splitlines()[0].startswith(expected), result.stderr


def test_reports_show_seconds_rounded_not_as_float_noise() -> None:
    from producthuntdb.syncmodel import SyncReport
    from producthuntdb.transform import BuildReport

    build = BuildReport(command="build", elapsed=7.647789417999775, dbt_elapsed=3.714817762374878).as_dict()
    assert (build["elapsed"], build["dbt_elapsed"]) == (7.65, 3.71)
    assert SyncReport(run_id="r", waited_seconds=5.049654430000191).as_dict()["waited_seconds"] == 5.05


def test_a_since_in_the_future_is_bad_usage() -> None:
    result = invoke("sync", "--since", "2999-01-01", PRODUCTHUNT_TOKEN=TOKEN)
    assert result.exit_code == 2, result.output
    assert "is in the future" in result.output


def test_a_report_shows_every_table_row_count(capsys: pytest.CaptureFixture[str]) -> None:
    counts = {f"table_number_{i:02d}": 1000 + i for i in range(20)}  # > 200 characters as JSON
    print_report("build", {"mart_rows": counts})
    out = "".join(c for c in capsys.readouterr().out if not c.isspace() and c != "│")  # folded cells
    assert "table_number_191,019" in out and "..." not in out
