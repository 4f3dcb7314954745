"""The destination setting, offline: each recipe yields a dlt destination and a dbt profile that validate.

MotherDuck and BigQuery are configuration recipes only — these tests prove the configuration is
well-formed (dlt resolves its credentials; dbt renders and, where the adapter is installed, loads
the target), not that the live services accept it: nobody ran them against the real services.
"""

from __future__ import annotations

import json
import os
from argparse import Namespace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from producthuntdb import warehouse
from producthuntdb.cli import app
from producthuntdb.errors import ConfigError
from producthuntdb.settings import Settings, load_settings
from producthuntdb.warehouse import targets as destination
from tests.plugins.warehouse import DBT_PROJECT_DIR

pytestmark = pytest.mark.usefixtures("isolated_cli")
MD_TOKEN = "md-token-" + "x" * 40
SERVICE_ACCOUNT = {
    "type": "service_account",
    "project_id": "phdb-project",
    "private_key_id": "k1",
    "private_key": "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
    "client_email": "loader@phdb-project.iam.gserviceaccount.com",
    "client_id": "1",
    "token_uri": "https://oauth2.googleapis.com/token",
}


def _resolved(factory: Any) -> Any:
    """dlt's own resolution of the destination's configuration (credentials included), no network."""
    config = factory.spec()
    config.dataset_name = "raw"
    return factory.configuration(config, accept_partial=False)


def _dbt_target(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], Any]:
    """profiles.yml's target for ``settings``, rendered by dbt with the env dbt would get:
    (rendered dict, dbt's validated credentials or None when the adapter is not installed)."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.flags import set_from_args
    from dbt_common.context import set_invocation_context

    for name, value in destination.dbt_env(settings).items():
        monkeypatch.setenv(name, value)
    set_from_args(Namespace(), {})
    set_invocation_context(dict(os.environ))
    raw = read_profile(str(DBT_PROJECT_DIR))
    target = destination.dbt_target(settings)
    rendered = ProfileRenderer({}).render_data(raw["producthuntdb"]["outputs"][target])
    try:
        profile = Profile.from_raw_profiles(raw, "producthuntdb", ProfileRenderer({}), target_override=target)
    except Exception as exc:  # dbt-bigquery is an extra, not installed in dev
        if "bigquery" not in str(exc).lower():
            raise
        return rendered, None
    return rendered, profile.credentials


def test_duckdb_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path, environment="testing")
    assert settings.destination == "duckdb" and warehouse.open(settings).has_served_file
    assert _resolved(destination.dlt_destination(settings)).credentials.database == str(settings.db_path)
    rendered, credentials = _dbt_target(settings, monkeypatch)
    assert credentials.type == "duckdb" and rendered["path"] == str(settings.db_path.resolve())
    assert destination.sqlalchemy_url(settings).startswith("duckdb+buffered:///")


def test_postgres_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(
        data_dir=tmp_path, environment="testing", destination="postgres",
        postgres_url=SecretStr("postgresql://loader:p%40ss w0rd@db.example:6543/phdb"),
    )
    config = _resolved(destination.dlt_destination(settings))
    assert (config.credentials.host, config.credentials.port, config.credentials.password) == (
        "db.example", 6543, "p@ss w0rd"
    )
    _rendered, credentials = _dbt_target(settings, monkeypatch)
    assert credentials.type == "postgres"
    assert (credentials.host, credentials.port, credentials.user, credentials.database) == (
        "db.example", 6543, "loader", "phdb"
    )
    assert credentials.password == "p@ss w0rd"
    assert destination.sqlalchemy_url(settings) == "postgresql+psycopg2://loader:p%40ss%20w0rd@db.example:6543/phdb"
    assert destination.describe(settings) == "postgresql://loader@db.example:6543/phdb"
    assert "p@ss w0rd" not in settings.mask("login p@ss w0rd failed") and settings.secrets()


def test_motherduck_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTHERDUCK_TOKEN", MD_TOKEN)
    settings = load_settings(data_dir=tmp_path, environment="testing", destination="motherduck")
    config = _resolved(destination.dlt_destination(settings))
    assert config.credentials.database == "producthunt" and config.credentials.password == MD_TOKEN
    _rendered, credentials = _dbt_target(settings, monkeypatch)
    assert credentials.type == "duckdb" and credentials.path == "md:producthunt"
    assert os.environ["MOTHERDUCK_TOKEN"] == MD_TOKEN  # dbt-duckdb's MotherDuck plugin reads it there
    assert MD_TOKEN not in settings.mask(f"token {MD_TOKEN}")


def test_bigquery_recipe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keyfile = tmp_path / "sa.json"
    keyfile.write_text(json.dumps(SERVICE_ACCOUNT))
    settings = Settings(
        data_dir=tmp_path, environment="testing", destination="bigquery", bigquery_keyfile=keyfile,
        bigquery_location="EU",
    )
    config = _resolved(destination.dlt_destination(settings))
    assert (config.credentials.project_id, config.credentials.client_email, config.location) == (
        "phdb-project", SERVICE_ACCOUNT["client_email"], "EU"
    )
    rendered, _credentials = _dbt_target(settings, monkeypatch)
    # dbt-bigquery's service-account method needs exactly these (its profile docs)
    assert rendered["type"] == "bigquery" and rendered["method"] == "service-account"
    assert (rendered["project"], rendered["keyfile"], rendered["location"]) == (
        "phdb-project", str(keyfile.resolve()), "EU"
    )
    assert rendered["dataset"] == "marts" and rendered["threads"] > 0


def test_secrets_toml_sections_feed_the_destination(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[destination.postgres.credentials]\ndatabase = "phdb"\nusername = "loader"\npassword = "s3cr3t-pw"\n'
        'host = "db.example"\nport = 6543\n\n[destination.motherduck.credentials]\npassword = "md-secret-token"\n'
    )
    settings = load_settings(environment="testing", destination="postgres")
    assert destination.postgres(settings).url() == "postgresql://loader:s3cr3t-pw@db.example:6543/phdb"
    assert settings.motherduck_token is not None and settings.motherduck_token.get_secret_value() == "md-secret-token"
    assert "s3cr3t-pw" in settings.secrets()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRODUCTHUNT_DESTINATION": "postgres"}, "PRODUCTHUNT_DESTINATION=postgres needs PRODUCTHUNT_POSTGRES_URL"),
        (
            {"PRODUCTHUNT_DESTINATION": "postgres", "PRODUCTHUNT_POSTGRES_URL": "mysql://u:pw-secret@h/db"},
            "PRODUCTHUNT_POSTGRES_URL must start with postgresql://",
        ),
        (
            {"PRODUCTHUNT_DESTINATION": "postgres", "PRODUCTHUNT_POSTGRES_URL": "postgresql://h:5432"},
            "PRODUCTHUNT_POSTGRES_URL needs a user, a host and a database",
        ),
        ({"PRODUCTHUNT_DESTINATION": "motherduck"}, "needs MOTHERDUCK_TOKEN"),
        ({"PRODUCTHUNT_DESTINATION": "bigquery"}, "needs PRODUCTHUNT_BIGQUERY_KEYFILE"),
        ({"PRODUCTHUNT_DESTINATION": "bigquery", "PRODUCTHUNT_BIGQUERY_KEYFILE": "/nonexistent.json"}, "not a readable JSON file"),
        ({"PRODUCTHUNT_DESTINATION": "snowflake"}, "PRODUCTHUNT_DESTINATION='snowflake'"),
    ],
)
def test_bad_destination_config_is_one_line_and_exit_2(env: dict[str, str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["build"], env={**env, "PRODUCTHUNT_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], lines
    assert "pw-secret" not in result.output and "Traceback" not in result.output


def test_postgres_url_parse_never_quotes_the_url() -> None:
    with pytest.raises(ConfigError) as caught:
        destination.PostgresURL.parse("postgresql://user:hunter2-secret@host:notaport/db")
    assert "hunter2-secret" not in str(caught.value)
