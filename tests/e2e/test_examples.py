"""``examples/``: every SQL file answers on a demo database, and the notebook runs headless."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.e2e.test_demo import DEMO_TIMEOUT, DemoRun, demo_run

pytestmark = [pytest.mark.e2e, pytest.mark.slow, DEMO_TIMEOUT]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SQL_FILES = sorted(EXAMPLES.glob("*.sql"))


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run: DemoRun = demo_run(tmp_path_factory.mktemp("e2e"))
    assert run.exit_code == 0, f"{run.stdout}\n{run.stderr}"
    return run.out / "producthunt.duckdb"


def test_there_are_examples_for_the_everyday_questions() -> None:
    names = {p.stem for p in SQL_FILES}
    assert {"top_posts_of_a_day", "topic_trends", "topic_week_by_week", "makers_with_most_launches",
            "comments_per_post", "vote_trajectory"} <= names


@pytest.mark.parametrize("sql_file", SQL_FILES, ids=lambda p: p.stem)
def test_example_sql_answers_on_the_demo_database(demo_db: Path, sql_file: Path) -> None:
    con = duckdb.connect(str(demo_db), read_only=True)
    try:
        rows = con.sql(sql_file.read_text("utf-8")).fetchall()
    finally:
        con.close()
    assert rows, f"{sql_file.name} returned no rows on the demo database"
    if sql_file.stem == "vote_trajectory":
        assert len(rows) >= 4, "a trajectory needs several observations"


def test_query_script_prints_a_result(demo_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import runpy
    import sys

    argv = sys.argv
    sys.argv = ["query.py", str(demo_db), str(EXAMPLES / "top_posts_of_a_day.sql")]
    try:
        with pytest.raises(SystemExit) as exited:
            runpy.run_path(str(EXAMPLES / "query.py"), run_name="__main__")
    finally:
        sys.argv = argv
    assert exited.value.code == 0
    assert "vote_rank" in capsys.readouterr().out


def test_notebook_executes_headless(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("PRODUCTHUNT_DUCKDB_PATH", str(demo_db))
    notebook = nbformat.read(EXAMPLES / "explore.ipynb", as_version=4)
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "image/png" in output.get("data", {})
    ]
    assert len(images) >= 5, "each question is charted"
    assert os.environ.get("PRODUCTHUNT_DUCKDB_PATH") == str(demo_db)
