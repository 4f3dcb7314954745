"""A full demo run with a known token never prints or logs it, nor stores it in any file it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_demo import DEMO_TIMEOUT, KNOWN_KAGGLE_KEY, KNOWN_TOKEN, DemoRun, demo_run

pytestmark = [pytest.mark.e2e, pytest.mark.slow, DEMO_TIMEOUT]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return demo_run(tmp_path_factory.mktemp("e2e"))  # the same cached run as test_demo.py


def test_token_never_printed(demo: DemoRun) -> None:
    assert demo.exit_code == 0, demo.stderr
    assert demo.stdout and KNOWN_TOKEN not in demo.stdout
    assert KNOWN_TOKEN not in demo.stderr
    assert KNOWN_TOKEN not in demo.fd_output
    assert KNOWN_TOKEN not in demo.status_stdout
    assert KNOWN_KAGGLE_KEY not in demo.publish_output and KNOWN_TOKEN not in demo.publish_output


def test_token_in_no_file_the_run_wrote(demo: DemoRun) -> None:
    needles = (KNOWN_TOKEN.encode(), KNOWN_KAGGLE_KEY.encode())
    scanned = 0
    for path in demo.out.rglob("*"):
        if path.is_file():
            scanned += 1
            content = path.read_bytes()
            assert not any(n in content for n in needles), f"a secret was found in {path}"
    logs = list(Path(demo.out / "logs").glob("*.jsonl"))
    assert logs and scanned > 20, "the run should have written logs, the DB, dlt state and exports"
