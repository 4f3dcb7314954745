"""The configured destination as dlt, dbt and Great Expectations take it.

``PRODUCTHUNT_DESTINATION`` is ``duckdb`` (the default: one local file), ``postgres``,
``motherduck`` or ``bigquery``. With :func:`producthuntdb.warehouse.open`, this module is the only
place that looks at that setting; it turns it into

* the dlt destination ``sync`` loads into (:func:`dlt_destination`),
* the dbt target ``build`` runs (:func:`dbt_target` — a target in ``dbt_project/profiles.yml``
  that reads its connection from the environment :func:`dbt_env` sets), and
* a SQLAlchemy URL for Great Expectations (:func:`sqlalchemy_url`); everything else reads through
  the :class:`~producthuntdb.warehouse.base.Warehouse` interface.

PostgreSQL is tested against a real server; MotherDuck and BigQuery are configuration recipes
checked offline (README, "Running on a warehouse"): nobody ran them against the live services.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, unquote, urlsplit

from producthuntdb.errors import ConfigError

if TYPE_CHECKING:
    from producthuntdb.settings import Settings

DestinationName = Literal["duckdb", "postgres", "motherduck", "bigquery"]
DESTINATIONS: tuple[str, ...] = ("duckdb", "postgres", "motherduck", "bigquery")
EXTRAS = {"postgres": "postgres", "motherduck": "motherduck", "bigquery": "bigquery"}
"""The ``pip install 'producthuntdb[EXTRA]'`` each warehouse needs."""
DBT_TARGETS = {"duckdb": "dev", "postgres": "postgres", "motherduck": "motherduck", "bigquery": "bigquery"}
LOADER_FILE_FORMATS: dict[str, Literal["parquet"]] = {"duckdb": "parquet", "motherduck": "parquet"}
"""Load files where dlt's default is not the fastest: DuckDB reads a Parquet file in one scan but
runs dlt's default ``insert_values`` files statement by statement (`medium`'s loads: 39 s → 6 s,
docs/ARCHITECTURE.md). PostgreSQL and BigQuery keep dlt's default."""


@dataclass(frozen=True)
class PostgresURL:
    """The parts of a ``postgresql://user:password@host:port/database`` URL."""

    host: str
    port: int
    user: str
    password: str
    database: str

    @classmethod
    def parse(cls, url: str) -> PostgresURL:
        """Parse and check a URL; the message never quotes the URL (it holds a password)."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port or 5432
        except ValueError:
            raise ConfigError("PRODUCTHUNT_POSTGRES_URL is not a URL (postgresql://user:password@host:5432/db)") from None
        if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
            raise ConfigError("PRODUCTHUNT_POSTGRES_URL must start with postgresql://")
        database = unquote(parts.path.lstrip("/"))
        if not parts.hostname or not parts.username or not database:
            raise ConfigError(
                "PRODUCTHUNT_POSTGRES_URL needs a user, a host and a database (postgresql://user:password@host:5432/db)"
            )
        return cls(parts.hostname, port, unquote(parts.username), unquote(parts.password or ""), database)

    def url(self, scheme: str = "postgresql") -> str:
        auth = quote(self.user, safe="") + (f":{quote(self.password, safe='')}" if self.password else "")
        return f"{scheme}://{auth}@{self.host}:{self.port}/{quote(self.database, safe='')}"

    def where(self) -> str:
        """How errors name the server: never with the password."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


def postgres(settings: Settings) -> PostgresURL:
    if settings.postgres_url is None:
        raise ConfigError(
            "PRODUCTHUNT_DESTINATION=postgres needs PRODUCTHUNT_POSTGRES_URL"
            " (or .dlt/secrets.toml [destination.postgres] credentials)"
        )
    return PostgresURL.parse(settings.postgres_url.get_secret_value())


def _motherduck_token(settings: Settings) -> str:
    if settings.motherduck_token is None:
        raise ConfigError(
            "PRODUCTHUNT_DESTINATION=motherduck needs MOTHERDUCK_TOKEN"
            " (or .dlt/secrets.toml [destination.motherduck.credentials] password)"
        )
    return settings.motherduck_token.get_secret_value()


def _bigquery_keyfile(settings: Settings) -> tuple[Path, dict[str, Any]]:
    path = settings.bigquery_keyfile
    if path is None:
        raise ConfigError(
            "PRODUCTHUNT_DESTINATION=bigquery needs PRODUCTHUNT_BIGQUERY_KEYFILE (a service-account JSON file)"
        )
    try:
        info = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"PRODUCTHUNT_BIGQUERY_KEYFILE {path}: not a readable JSON file ({exc.__class__.__name__})") from None
    missing = [k for k in ("project_id", "private_key", "client_email") if not isinstance(info, dict) or not info.get(k)]
    if missing:
        raise ConfigError(f"PRODUCTHUNT_BIGQUERY_KEYFILE {path}: not a service-account key (no {', '.join(missing)})")
    return Path(path), info


def problems(settings: Settings) -> list[str]:
    """What stops the configured destination from being used, checked without connecting."""
    try:
        if settings.destination == "postgres":
            postgres(settings)
        elif settings.destination == "motherduck":
            _motherduck_token(settings)
        elif settings.destination == "bigquery":
            _bigquery_keyfile(settings)
    except ConfigError as exc:
        return [str(exc)]
    return []


def describe(settings: Settings) -> str:
    """The destination as operators see it in logs and status (never with a secret)."""
    if settings.destination == "postgres":
        return postgres(settings).where()
    if settings.destination == "motherduck":
        return f"md:{settings.motherduck_database}"
    if settings.destination == "bigquery":
        _, info = _bigquery_keyfile(settings)
        return f"bigquery://{settings.bigquery_project or info['project_id']}"
    return str(settings.db_path)


# ----------------------------------------------------------------------------- dlt
def dlt_destination(settings: Settings) -> Any:
    """The dlt destination factory ``sync`` loads into."""
    import dlt

    if settings.destination == "postgres":
        return dlt.destinations.postgres(credentials=_dlt_postgres_credentials(postgres(settings)))
    if settings.destination == "motherduck":
        token = _motherduck_token(settings)
        return dlt.destinations.motherduck(
            credentials={"database": settings.motherduck_database, "password": token}
        )
    if settings.destination == "bigquery":
        _, info = _bigquery_keyfile(settings)
        if settings.bigquery_project:
            info = {**info, "project_id": settings.bigquery_project}
        from dlt.common.configuration.specs import GcpServiceAccountCredentials

        credentials = GcpServiceAccountCredentials()
        credentials.parse_native_representation(json.dumps(info))
        return dlt.destinations.bigquery(credentials=credentials, location=settings.bigquery_location)
    return dlt.destinations.duckdb(str(settings.db_path))


def _dlt_postgres_credentials(pg: PostgresURL) -> Any:
    """dlt's PostgreSQL credentials, also for a user without a password.

    dlt declares the password required, so a URL without one (a server that trusts loopback, peer
    auth, ``.pgpass``) failed inside dlt's configuration; an empty password is what libpq gets from
    such a URL anyway.
    """
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    credentials = PostgresCredentials()
    credentials.parse_native_representation(pg.url())
    credentials.password = pg.password or ""
    return credentials


def loader_file_format(settings: Settings) -> Literal["parquet"] | None:
    """The file format ``sync`` extracts into (None: the destination's default)."""
    return LOADER_FILE_FORMATS.get(settings.destination)


# ----------------------------------------------------------------------------- dbt
def dbt_target(settings: Settings) -> str:
    """The ``profiles.yml`` output ``dbt build`` runs against."""
    return DBT_TARGETS[settings.destination]


def dbt_env(settings: Settings) -> dict[str, str]:
    """The variables ``profiles.yml``'s targets read (``DBT_ENV_SECRET_*`` are masked in dbt's logs)."""
    env = {"PRODUCTHUNT_WORK_DUCKDB_PATH": str(settings.db_path.resolve())}
    if settings.destination == "postgres":
        pg = postgres(settings)
        env.update(
            PRODUCTHUNT_PG_HOST=pg.host, PRODUCTHUNT_PG_PORT=str(pg.port), PRODUCTHUNT_PG_USER=pg.user,
            DBT_ENV_SECRET_PRODUCTHUNT_PG_PASSWORD=pg.password, PRODUCTHUNT_PG_DATABASE=pg.database,
        )
    elif settings.destination == "motherduck":
        env.update(
            PRODUCTHUNT_MOTHERDUCK_DATABASE=settings.motherduck_database,
            MOTHERDUCK_TOKEN=_motherduck_token(settings),
        )
    elif settings.destination == "bigquery":
        path, info = _bigquery_keyfile(settings)
        env.update(
            PRODUCTHUNT_BIGQUERY_PROJECT=settings.bigquery_project or str(info["project_id"]),
            PRODUCTHUNT_BIGQUERY_KEYFILE=str(path.resolve()),
            PRODUCTHUNT_BIGQUERY_LOCATION=settings.bigquery_location,
        )
    return env


# ----------------------------------------------------------------------------- SQL readers
def sqlalchemy_url(settings: Settings) -> str:
    """What Great Expectations' SQL datasource connects with."""
    if settings.destination == "postgres":
        return postgres(settings).url("postgresql+psycopg2")
    if settings.destination == "motherduck":
        return f"duckdb:///md:{settings.motherduck_database}?motherduck_token={quote(_motherduck_token(settings), safe='')}"
    if settings.destination == "bigquery":
        path, info = _bigquery_keyfile(settings)
        return f"bigquery://{settings.bigquery_project or info['project_id']}?credentials_path={quote(str(path))}"
    from producthuntdb.warehouse.gx_duckdb import connection_url

    return connection_url(settings.db_path)


def sqlalchemy_options(settings: Settings) -> dict[str, Any]:
    """Engine arguments for :func:`sqlalchemy_url`: the DuckDB file is opened read-only (never its write lock)."""
    return {"connect_args": {"read_only": True}} if settings.destination == "duckdb" else {}


def connection_problem(settings: Settings, exc: BaseException) -> str:
    """One line for a failed connection to a warehouse: what failed, never the password."""
    message = " ".join(str(exc).split()) or exc.__class__.__name__
    text = message.lower()
    if "password authentication failed" in text:
        reason = "wrong user or password"
    elif "connection refused" in text or "could not connect" in text or "no route" in text:
        reason = "server not reachable (is it running? host and port right?)"
    elif "does not exist" in text and "database" in text:
        reason = "the database does not exist"
    else:
        reason = message[:200]
    return settings.mask(f"cannot connect to {describe(settings)}: {reason}")
