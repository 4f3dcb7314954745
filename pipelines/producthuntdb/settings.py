"""One configuration for every stage, read once and handed explicitly to dlt, dbt and GX.

No other module reads the environment: they receive a ``Settings``. Values come, by
priority, from keyword arguments, ``PRODUCTHUNT_*`` environment variables, ``.env``, and
``.dlt/secrets.toml`` (``[sources.producthunt] token``), then the profile's defaults.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from producthuntdb.errors import ConfigError

Environment = Literal["development", "production", "testing"]

DEFAULT_API_URL = "https://api.producthunt.com/v2/api/graphql"
REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout the package is installed from (editable install): where ``dbt_project/`` ships."""
NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
"""dlt pipeline and dataset names: a directory name and an unquoted SQL schema name."""
STORAGE_VERSION_PATTERN = re.compile(r"^v\d+\.\d+\.\d+$")
DEFAULT_STORAGE_VERSION = "v1.4.0"
"""DuckDB 2.0 writes storage version 69 by default, which the CLI and Node clients people have
(1.4/1.5, reading 64-68) refuse; files written as v1.4.0 open in DuckDB 1.4, 1.5 and 2.0."""
TOKEN_PAGE = "https://www.producthunt.com/v2/oauth/applications"
"""Where a developer token is made (an application's page, then *Create Token*)."""
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_\-\.]{20,512}$")
"""Developer tokens are long url-safe strings; anything shorter is a paste error."""

PROFILE_DEFAULTS: dict[str, dict[str, Any]] = {
    # A person at a terminal: readable logs, progress bars, the repo's data/ directory.
    "development": {"log_json": False, "log_level": "INFO", "progress": True, "data_dir": Path("data")},
    # CI and schedulers: JSON lines a log shipper can parse, no bars (no TTY to draw them on).
    "production": {"log_json": True, "log_level": "INFO", "progress": False, "data_dir": Path("data")},
    # Test runs: quiet, and a separate tree so a stray test never touches a real database.
    "testing": {"log_json": False, "log_level": "WARNING", "progress": False, "data_dir": Path("data/test")},
}

LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")
SECRET_FIELDS = frozenset({"token", "kaggle_key", "postgres_url", "motherduck_token"})
"""Fields whose value never appears in an error message, even a validation error."""
MIN_MASKED_LENGTH = 6
URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@")
"""``scheme://user:password@``: the password part of a URL in any text."""
"""Shorter secret values are not masked: replacing every ``a`` in the logs would hide more than it protects."""


class _SecretsTomlSource(PydanticBaseSettingsSource):
    """Reads the token (and Kaggle credentials) from dlt's ``.dlt/secrets.toml``.

    dlt users keep secrets there already; reading the same file means one place for them.
    """

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        try:
            data = tomllib.loads(self.path.read_text("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(f"{self.path}: cannot be read as TOML (not UTF-8 text)") from None
        except OSError as exc:
            raise ConfigError(f"{self.path}: cannot be read ({exc.strerror or exc.__class__.__name__})") from None
        except tomllib.TOMLDecodeError as exc:
            # tomllib's message names the line and column, never the values
            raise ConfigError(f"{self.path}: cannot be read as TOML ({exc})") from None
        sources = data.get("sources", {})
        section = sources.get("producthunt", {}) if isinstance(sources, dict) else None
        if not isinstance(section, dict):
            raise ConfigError(f"{self.path}: [sources.producthunt] must be a table (token = \"...\")")
        found: dict[str, Any] = {}
        for key in ("token", "kaggle_username", "kaggle_key"):
            if section.get(key):
                found[key] = section[key]
        found.update(_destination_secrets(data.get("destination"), self.path))
        return found


def _destination_secrets(section: Any, path: Path) -> dict[str, Any]:
    """Warehouse credentials from dlt's own sections, so one secrets.toml serves dlt users as usual.

    ``[destination.postgres] credentials = "postgresql://..."`` (or the table form with
    ``database``, ``username``, ``password``, ``host``, ``port``) and
    ``[destination.motherduck.credentials] password = "<token>"``.
    """
    if not isinstance(section, dict):
        return {}
    found: dict[str, Any] = {}
    credentials = (section.get("postgres") or {}).get("credentials") if isinstance(section.get("postgres"), dict) else None
    if isinstance(credentials, str) and credentials.strip():
        found["postgres_url"] = credentials.strip()
    elif isinstance(credentials, dict):
        missing = [k for k in ("database", "username", "host") if not credentials.get(k)]
        if missing:
            raise ConfigError(f"{path}: [destination.postgres.credentials] lacks {', '.join(missing)}")
        from urllib.parse import quote

        password = credentials.get("password")
        auth = quote(str(credentials["username"]), safe="") + (f":{quote(str(password), safe='')}" if password else "")
        found["postgres_url"] = (
            f"postgresql://{auth}@{credentials['host']}:{int(credentials.get('port') or 5432)}/{credentials['database']}"
        )
    motherduck = section.get("motherduck")
    md_credentials = motherduck.get("credentials") if isinstance(motherduck, dict) else None
    if isinstance(md_credentials, dict) and md_credentials.get("password"):
        found["motherduck_token"] = md_credentials["password"]
        if md_credentials.get("database"):
            found["motherduck_database"] = md_credentials["database"]
    return found


class Settings(BaseSettings):
    """Every knob of ProductHuntDB; see the README's settings table."""

    model_config = SettingsConfigDict(
        env_prefix="PRODUCTHUNT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    environment: Environment = "development"
    token: SecretStr | None = Field(default=None, description="Product Hunt API token (Bearer)")
    api_url: str = Field(default=DEFAULT_API_URL, description="GraphQL endpoint; point it at the emulator")

    data_dir: Path = Field(default=Path("data"), description="Where the DB, dlt state, logs and exports live")
    duckdb_path: Path | None = Field(
        default=None,
        description="The served DuckDB file readers open (default DATA_DIR/producthunt.duckdb)",
    )
    work_duckdb_path: Path | None = Field(
        default=None,
        description="The pipeline's working DuckDB file (default DATA_DIR/work/producthunt.duckdb)",
    )
    storage_version: str = Field(
        default=DEFAULT_STORAGE_VERSION,
        description="DuckDB storage version of the files written (readable by DuckDB >= this release)",
    )
    pipelines_dir: Path | None = Field(default=None, description="dlt state (default DATA_DIR/dlt)")
    export_dir: Path | None = Field(default=None, description="Export target (default DATA_DIR/export)")
    dbt_project_dir: Path = Field(default=Path("dbt_project"), description="The dbt project")
    pipeline_name: str = "producthunt"
    dataset_name: str = "raw"

    destination: Literal["duckdb", "postgres", "motherduck", "bigquery"] = Field(
        default="duckdb", description="Where raw and marts live: duckdb (a file) or a warehouse"
    )
    postgres_url: SecretStr | None = Field(
        default=None, description="postgresql://user:password@host:5432/db (destination postgres)"
    )
    motherduck_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("motherduck_token", "PRODUCTHUNT_MOTHERDUCK_TOKEN", "MOTHERDUCK_TOKEN"),
        description="MotherDuck access token (destination motherduck)",
    )
    motherduck_database: str = Field(default="producthunt", description="MotherDuck database name")
    bigquery_keyfile: Path | None = Field(
        default=None, description="Service-account JSON key file (destination bigquery)"
    )
    bigquery_project: str | None = Field(default=None, description="GCP project (default: the key's)")
    bigquery_location: str = Field(default="US", description="BigQuery dataset location")

    budget_share: float = Field(
        default=1.0, gt=0.0, le=1.0, description="Share of the API budget this app may use"
    )
    lookback_hours: float = Field(
        default=72.0, ge=0.0, le=24 * 60, description="Re-read counts of posts this young"
    )
    sweep_share: float = Field(
        default=0.05, ge=0.0, le=0.5,
        description="Share of the API budget spent re-reading counts of posts older than the look-back (0: off)",
    )
    connect_timeout: float = Field(default=10.0, gt=0.0, le=300.0)
    read_timeout: float = Field(default=30.0, gt=0.0, le=600.0)
    max_retries: int = Field(default=6, ge=0, le=20)
    topics_refresh_hours: float = Field(
        default=24.0 * 7, ge=0.0, description="Re-fetch topics/collections when older"
    )
    redacted_user_retry_days: float = Field(
        default=30.0, ge=0.0, le=3650.0,
        description="Ask again for a user the API answered redacted only after this many days",
    )
    lock_wait_seconds: float = Field(
        default=120.0, ge=0.0, le=24 * 3600, description="How long a load waits for another process's DuckDB lock"
    )
    freshness_max_age_hours: float = Field(
        default=48.0, gt=0.0, description="Gate: newest post must be younger"
    )
    check_freshness: bool = Field(default=False, description="Gate checks freshness (real syncs)")

    kaggle_username: str | None = None
    kaggle_key: SecretStr | None = None
    kaggle_dataset: str = Field(
        default="producthuntdb/producthunt", description="owner/slug of the Kaggle dataset"
    )

    log_json: bool | None = Field(default=None, description="Console logs as JSON lines (profile default)")
    log_level: str | None = Field(
        default=None, description="TRACE, DEBUG, INFO, WARNING, ERROR (profile default)"
    )
    log_dir: Path | None = Field(default=None, description="JSON log files (default DATA_DIR/logs)")
    progress: bool | None = Field(default=None, description="Progress bars on a terminal (profile default)")
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP endpoint, or 'console'")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        secrets = _SecretsTomlSource(settings_cls, Path(".dlt") / "secrets.toml")
        return init_settings, env_settings, dotenv_settings, secrets

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("storage_version")
    @classmethod
    def _storage_version(cls, value: str) -> str:
        if not STORAGE_VERSION_PATTERN.match(value.strip()):
            raise ValueError("must be a DuckDB release like v1.4.0 (the oldest DuckDB that must open the files)")
        return value.strip()

    @field_validator("pipeline_name", "dataset_name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("must be lowercase letters, digits and '_' (a directory and SQL schema name)")
        return value

    @field_validator("otlp_endpoint")
    @classmethod
    def _otlp(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if value.strip() != "console" and not re.match(r"^https?://[^\s/]+", value.strip()):
            raise ValueError("must be an http(s) URL or 'console'")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str | None) -> str | None:
        if value is not None and value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper() if value is not None else None

    @field_validator("motherduck_database")
    @classmethod
    def _md_database(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError("must be lowercase letters, digits and '_'")
        return value

    @field_validator("token", "postgres_url", "motherduck_token", mode="before")
    @classmethod
    def _blank_token(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    def model_post_init(self, context: Any) -> None:
        defaults = PROFILE_DEFAULTS[self.environment]
        if "data_dir" not in self.model_fields_set:
            self.data_dir = defaults["data_dir"]
        if self.log_json is None:
            self.log_json = defaults["log_json"]
        if self.log_level is None:
            self.log_level = defaults["log_level"]
        if self.progress is None:
            self.progress = defaults["progress"]
        self.log_level = self.log_level.upper()
        if self.log_dir is None:
            self.log_dir = self.data_dir / "logs"
        if self.duckdb_path is None:
            self.duckdb_path = self.data_dir / "producthunt.duckdb"
        if self.work_duckdb_path is None:
            self.work_duckdb_path = self.data_dir / "work" / "producthunt.duckdb"
        if self.pipelines_dir is None:
            self.pipelines_dir = self.data_dir / "dlt"
        if self.export_dir is None:
            self.export_dir = self.data_dir / "export"
        if "dbt_project_dir" not in self.model_fields_set and not (self.dbt_project_dir / "dbt_project.yml").is_file():
            # Run from elsewhere than the checkout (`producthuntdb demo --out /tmp/x` from any directory):
            # the project shipped with the package.
            shipped = REPO_ROOT / self.dbt_project_dir
            if (shipped / "dbt_project.yml").is_file():
                self.dbt_project_dir = shipped
        # Absolute from here on: the working directory is read once, and libraries that insist on
        # absolute paths (GX's stores, dbt's --project-dir from another cwd) get them.
        paths = ("data_dir", "duckdb_path", "work_duckdb_path", "pipelines_dir", "export_dir", "log_dir")
        for name in (*paths, "dbt_project_dir"):
            value = getattr(self, name)
            if isinstance(value, Path) and not value.is_absolute():
                setattr(self, name, value.absolute())

    # -- derived, always-set paths (mypy sees ``Path`` rather than ``Path | None``) --
    @property
    def db_path(self) -> Path:
        """The working file: dlt loads, dbt builds and the gate checks here; no reader ever opens it."""
        assert self.work_duckdb_path is not None
        return self.work_duckdb_path

    @property
    def served_path(self) -> Path:
        """The served file (``PRODUCTHUNT_DUCKDB_PATH``): gated marts only, replaced by an atomic rename."""
        assert self.duckdb_path is not None
        return self.duckdb_path

    @property
    def dlt_dir(self) -> Path:
        assert self.pipelines_dir is not None
        return self.pipelines_dir

    @property
    def export_path(self) -> Path:
        assert self.export_dir is not None
        return self.export_dir

    @property
    def logs_dir(self) -> Path:
        assert self.log_dir is not None
        return self.log_dir

    def token_value(self) -> str:
        """The token for an Authorization header; raises ConfigError when unusable."""
        problems = self.token_problems()
        if problems:
            raise ConfigError(problems)
        assert self.token is not None
        return self.token.get_secret_value()

    def token_problems(self) -> list[str]:
        if self.token is None:
            return [
                "PRODUCTHUNT_TOKEN is not set (env, .env or .dlt/secrets.toml [sources.producthunt] token): "
                f"create one at {TOKEN_PAGE} (Create Token); `make demo` needs none"
            ]
        if not TOKEN_PATTERN.match(self.token.get_secret_value()):
            return [
                "PRODUCTHUNT_TOKEN is malformed: expected 20-512 characters of letters, digits, '-', '_' or '.'"
            ]
        return []

    def kaggle_problems(self, required: bool = False) -> list[str]:
        has_user, has_key = bool(self.kaggle_username), self.kaggle_key is not None
        if has_user != has_key:
            missing = "PRODUCTHUNT_KAGGLE_KEY" if has_user else "PRODUCTHUNT_KAGGLE_USERNAME"
            return [f"Kaggle credentials are half set: {missing} is missing"]
        if required and not has_user:
            return ["Kaggle credentials are not set (PRODUCTHUNT_KAGGLE_USERNAME and PRODUCTHUNT_KAGGLE_KEY)"]
        if "/" not in self.kaggle_dataset:
            return ["PRODUCTHUNT_KAGGLE_DATASET must look like owner/slug"]
        return []

    def data_dir_problems(self) -> list[str]:
        """The data directory (and the DB's and dlt's) must be creatable and writable before any stage starts."""
        for path in dict.fromkeys((self.data_dir, self.db_path.parent, self.served_path.parent, self.dlt_dir)):
            blocker = file_in_the_way(path)
            if blocker is not None:
                return [f"data directory {path} cannot be created: {blocker} is a file, not a directory"]
            try:
                path.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                return [f"data directory {path} cannot be created ({exc.strerror})"]
            if not os.access(path, os.W_OK):
                return [f"data directory {path} is not writable"]
        return []

    def secrets(self) -> list[str]:
        """Every secret value, so logs and errors can mask them (longest first, so no partial masks)."""
        values = [s.get_secret_value() for s in (self.token, self.kaggle_key, self.motherduck_token) if s is not None]
        values += _url_password(self.api_url)
        if self.postgres_url is not None:
            values += [self.postgres_url.get_secret_value(), *_url_password(self.postgres_url.get_secret_value())]
        return sorted({v for v in values if len(v) >= MIN_MASKED_LENGTH}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        """``text`` with every secret value replaced by ``***``."""
        return mask_secrets(text, self.secrets())


def _url_password(url: str) -> list[str]:
    """The password of ``url`` as written and decoded (``p%40ss`` and ``p@ss``), if it has one."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password, unquote(password)] if password else []


def file_in_the_way(path: Path) -> Path | None:
    """``path`` or the first existing ancestor of it, when that is not a directory (so ``path`` cannot be one)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def mask_secrets(text: str, secrets: list[str]) -> str:
    """Replace each secret in ``text`` by ``***``; the one masking rule for logs, errors and output.

    The password of any URL (``http://user:pw@host``) is masked too, whatever its length: a URL
    setting such as ``PRODUCTHUNT_API_URL`` may carry one, and is printed in errors and logs.
    """
    for secret in secrets:
        if secret and len(secret) >= MIN_MASKED_LENGTH:
            text = text.replace(secret, "***")
    return URL_PASSWORD.sub(r"\g<head>***@", text)


def load_settings(**overrides: Any) -> Settings:
    """Build ``Settings``; a validation failure becomes one ``ConfigError`` line per problem.

    ``None`` overrides are dropped so that unset CLI flags fall through to env and profile defaults.
    The offending value is quoted for ordinary fields and never for secret ones.
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or "settings"
            env = f"PRODUCTHUNT_{field.upper()}"
            shown = "" if field in SECRET_FIELDS or "input" not in error else f"={error['input']!r}"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{env}{shown}: {message}")
        raise ConfigError(problems) from None
