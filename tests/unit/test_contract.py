"""The raw contract is written once (``source/contract.py``); everything else derives from it."""

from __future__ import annotations

import re
from pathlib import Path

from producthuntdb.source.contract import TABLES, dbt_macro

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pipelines" / "producthuntdb"
STAGING = ROOT / "dbt_project" / "models" / "staging"


def test_the_dbt_contract_macro_is_generated_from_the_source() -> None:
    macro = (ROOT / "dbt_project" / "macros" / "raw_contract.sql").read_text()
    assert macro == dbt_macro(), "regenerate: python -m producthuntdb.source.contract > dbt_project/macros/raw_contract.sql"


def test_staging_models_read_raw_tables_through_the_contract_only() -> None:
    read = set()
    for model in sorted(STAGING.glob("*.sql")):
        text = model.read_text()
        calls = re.findall(r"raw_table\(\s*'(\w+)'([^)]*)\)", text)
        assert calls, f"{model.name} does not read a raw table through raw_table()"
        for table, rest in calls:
            assert table in TABLES, f"{model.name} reads {table}, not in the contract"
            assert "{" not in rest, f"{model.name} repeats a column map: the contract has it"
            read.add(table)
    assert read == {name for name in TABLES if not name.startswith("_")}


def test_sources_yml_lists_every_contract_table() -> None:
    sources = (STAGING / "__sources.yml").read_text()
    for table in TABLES:
        if not table.startswith("_"):
            assert re.search(rf"- name: {table}\b", sources), table


def test_no_second_column_list_or_pager_in_the_package() -> None:
    """``grep`` finds the raw columns in contract.py only, and ``pageInfo`` loops in helpers.py only."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "emulator" in path.parts or "quality" in path.parts:
            continue  # the API side (it builds connections) and the marts' expectations (not raw)
        text = path.read_text()
        quoted = set(re.findall(r"[\"'](\w+)[\"']|\b(\w+)=", text))
        named = {name for pair in quoted for name in pair if name} & set(TABLES["posts"].types)
        if path.name != "contract.py" and len(named) >= 8:
            offenders.append(f"{path.name}: a raw column list ({', '.join(sorted(named))})")
        if path.name != "helpers.py" and re.search(r"while True:[\s\S]{0,600}?hasNextPage", text):
            offenders.append(f"{path.name}: a hand-written pageInfo loop")
        # Besides the pagers and their progress guard, only the posts resource (it saves paginate's
        # cursor in its state) and the narrowing of a failing page (it builds a page) read pageInfo.
        if path.name not in ("helpers.py", "guards.py", "__init__.py", "quarantine.py") and "hasNextPage" in text:
            offenders.append(f"{path.name}: reads pageInfo outside the pagers of helpers.py")
    assert not offenders, offenders
