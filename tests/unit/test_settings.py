"""Settings: profiles, sources, validation problems (one line each) and secret masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from producthuntdb.errors import ConfigError
from producthuntdb.pipeline import preflight
from producthuntdb.settings import Settings, load_settings, mask_secrets

GOOD_TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789_-."


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No PRODUCTHUNT_* variable, .env or .dlt/secrets.toml from the developer's machine leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("PRODUCTHUNT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize(
    ("profile", "log_json", "level", "progress", "data_dir"),
    [
        ("development", False, "INFO", True, Path("data")),
        ("production", True, "INFO", False, Path("data")),
        ("testing", False, "WARNING", False, Path("data/test")),
    ],
)
def test_profiles_set_defaults(
    profile: str, log_json: bool, level: str, progress: bool, data_dir: Path
) -> None:
    settings = load_settings(environment=profile)
    assert (settings.log_json, settings.log_level, settings.progress) == (log_json, level, progress)
    data_dir = data_dir.absolute()  # relative paths are anchored once, at load time
    assert settings.data_dir == data_dir
    assert settings.served_path == data_dir / "producthunt.duckdb"
    assert settings.db_path == data_dir / "work" / "producthunt.duckdb"
    assert settings.storage_version == "v1.4.0"
    assert settings.logs_dir == data_dir / "logs"
    assert settings.export_path == data_dir / "export"


def test_explicit_values_beat_the_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODUCTHUNT_ENVIRONMENT", "production")
    monkeypatch.setenv("PRODUCTHUNT_LOG_JSON", "false")
    settings = load_settings(data_dir=tmp_path / "d", log_level="debug")
    assert settings.environment == "production"
    assert settings.log_json is False
    assert settings.log_level == "DEBUG"
    assert settings.data_dir == tmp_path / "d"
    assert settings.served_path == tmp_path / "d" / "producthunt.duckdb"
    assert settings.db_path == tmp_path / "d" / "work" / "producthunt.duckdb"


def test_env_file_and_dlt_secrets_are_read(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(f'[sources.producthunt]\ntoken = "{GOOD_TOKEN}"\n')
    (tmp_path / ".env").write_text("PRODUCTHUNT_BUDGET_SHARE=0.25\n")
    settings = load_settings()
    assert settings.token_value() == GOOD_TOKEN
    assert settings.budget_share == 0.25


def test_unreadable_secrets_toml_is_one_config_error(tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text("[sources.producthunt\ntoken=")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert len(info.value.problems) == 1
    assert "secrets.toml" in info.value.problems[0]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    settings = load_settings(token="short", kaggle_username="me", data_dir=blocker / "data")
    with pytest.raises(ConfigError) as info:
        preflight(settings, token=True, kaggle=True)
    problems = info.value.problems
    assert len(problems) == 3, problems
    assert "PRODUCTHUNT_TOKEN is malformed" in problems[0]
    assert "half set" in problems[1] and "PRODUCTHUNT_KAGGLE_KEY" in problems[1]
    assert "cannot be created" in problems[2]
    assert info.value.exit_code == 2


def test_missing_token_only_matters_where_needed(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert preflight(settings, token=False) is settings
    with pytest.raises(ConfigError, match="PRODUCTHUNT_TOKEN is not set"):
        preflight(settings, token=True)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("budget_share", 0, "PRODUCTHUNT_BUDGET_SHARE=0: Input should be greater than 0"),
        ("budget_share", 1.5, "PRODUCTHUNT_BUDGET_SHARE=1.5: Input should be less than or equal to 1"),
        ("max_retries", -1, "PRODUCTHUNT_MAX_RETRIES=-1"),
        ("lookback_hours", 10**6, "PRODUCTHUNT_LOOKBACK_HOURS"),
        ("api_url", "ftp://x", "PRODUCTHUNT_API_URL='ftp://x': must be an http(s) URL"),
        ("log_level", "loud", "PRODUCTHUNT_LOG_LEVEL='loud': must be one of"),
        ("environment", "staging", "PRODUCTHUNT_ENVIRONMENT='staging'"),
    ],
)
def test_out_of_range_values_name_the_variable(field: str, value: object, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(**{field: value})
    assert len(info.value.problems) == 1
    assert info.value.problems[0].startswith(expected), info.value.problems


def test_secret_fields_never_quote_their_value() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(token=["not", "a", "string-secret-value"])
    assert "string-secret-value" not in str(info.value)
    assert info.value.problems[0].startswith("PRODUCTHUNT_TOKEN:")


def test_secrets_are_masked_and_hidden_from_repr() -> None:
    settings = load_settings(token=GOOD_TOKEN, kaggle_username="me", kaggle_key="kaggle-secret-key")
    assert GOOD_TOKEN not in repr(settings)
    assert GOOD_TOKEN not in str(settings.model_dump())
    assert settings.secrets() == sorted([GOOD_TOKEN, "kaggle-secret-key"], key=len, reverse=True)
    text = f"Authorization: Bearer {GOOD_TOKEN} key={'kaggle-secret-key'}"
    assert settings.mask(text) == "Authorization: Bearer *** key=***"


def test_short_values_are_not_masked() -> None:
    # A 3-letter "secret" would blank out ordinary words; such a token fails validation anyway.
    assert mask_secrets("the cat sat", ["cat"]) == "the cat sat"


def test_blank_token_counts_as_unset() -> None:
    assert load_settings(token="   ").token is None


def test_settings_is_constructible_directly(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, environment="testing")
    assert settings.data_dir == tmp_path
    assert settings.log_level == "WARNING"


def test_relative_paths_are_anchored_at_load_time(tmp_path: Path) -> None:
    settings = load_settings(data_dir="rel/data", work_duckdb_path="db/x.duckdb", dbt_project_dir="dbt_project")
    assert settings.data_dir == tmp_path / "rel" / "data"
    assert settings.db_path == tmp_path / "db" / "x.duckdb"
    assert settings.dlt_dir == tmp_path / "rel" / "data" / "dlt"
    assert settings.dbt_project_dir == tmp_path / "dbt_project"
    assert all(p.is_absolute() for p in (settings.export_path, settings.logs_dir))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"[sources.producthunt\ntoken = 'x'\n", "at line 1"),  # where, never what
        (b"\xff\xfe not text", "not UTF-8"),
        (b'[sources]\nproducthunt = "a-token"\n', "[sources.producthunt] must be a table"),
        (b'sources = "a-token"\n', "[sources.producthunt] must be a table"),
    ],
)
def test_a_broken_secrets_toml_is_one_line_naming_the_problem(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_bytes(content)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert len(info.value.problems) == 1 and expected in info.value.problems[0], info.value.problems
    assert "a-token" not in info.value.problems[0]


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ("PRODUCTHUNT_PIPELINE_NAME", "../../etc"),
        ("PRODUCTHUNT_DATASET_NAME", "raw; drop table x"),
        ("PRODUCTHUNT_OTLP_ENDPOINT", "garbage"),
    ],
)
def test_names_and_endpoints_that_would_fail_later_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert [p.split(":")[0] for p in info.value.problems] == [f"{env}={value!r}"]


def test_otlp_console_and_urls_are_accepted() -> None:
    assert load_settings(otlp_endpoint="console").otlp_endpoint == "console"
    assert load_settings(otlp_endpoint="http://127.0.0.1:4318").otlp_endpoint == "http://127.0.0.1:4318"
    assert load_settings(otlp_endpoint=" ").otlp_endpoint is None


def test_the_shipped_dbt_project_is_found_from_any_directory(tmp_path: Path) -> None:
    # `producthuntdb demo --out /tmp/x` run from elsewhere than the checkout still builds
    from producthuntdb.settings import REPO_ROOT

    assert not (tmp_path / "dbt_project").exists()
    assert load_settings().dbt_project_dir == REPO_ROOT / "dbt_project"
    (tmp_path / "dbt_project").mkdir()
    (tmp_path / "dbt_project" / "dbt_project.yml").write_text("name: mine\n")
    assert load_settings().dbt_project_dir == tmp_path / "dbt_project", "a project in the cwd wins"


@pytest.mark.parametrize("setting", ["data_dir", "pipelines_dir", "duckdb_path"])
def test_a_data_path_under_a_regular_file_is_one_config_problem(tmp_path: Path, setting: str) -> None:
    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / ("x.duckdb" if setting == "duckdb_path" else "sub")
    settings = load_settings(**{"data_dir": tmp_path / "data", setting: target})
    problems = settings.data_dir_problems()
    assert len(problems) == 1 and f"{tmp_path / 'afile'} is a file, not a directory" in problems[0], problems
