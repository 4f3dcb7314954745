"""Logging for every stage: readable lines on the console, JSON lines on disk, secrets masked.

Two loguru sinks, both written by our own functions so that *every* byte goes through
``mask_secrets`` (message, structured fields and traceback alike):

- the console (stderr): ``HH:MM:SS LEVEL stage  message key=value`` — or JSON lines with
  ``--log-json`` / the production profile, so CI logs can be parsed;
- a file ``<logs_dir>/<UTC date>.jsonl``: one JSON object per record with ``time``, ``level``,
  ``message``, ``run_id``, ``stage``, the structured fields, and the masked traceback if any.

Standard-library logging (dlt, dbt, httpx) is routed into loguru at WARNING and above, so
their warnings get the same run_id, masking and file.
"""

from __future__ import annotations

import json
import logging
import secrets as _random
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from loguru import logger

from producthuntdb import tracing
from producthuntdb.settings import Settings, mask_secrets

_RESERVED = {"run_id", "stage", "file_only"}
NON_PROPAGATING_LOGGERS = ("dlt",)
_LEVEL_COLORS = {
    "TRACE": "\x1b[2m",
    "DEBUG": "\x1b[2m",
    "INFO": "\x1b[36m",
    "SUCCESS": "\x1b[32m",
    "WARNING": "\x1b[33m",
    "ERROR": "\x1b[31m",
    "CRITICAL": "\x1b[1;31m",
}
_state: dict[str, Any] = {"log_file": None, "run_id": None, "intercept": None}


def new_run_id() -> str:
    """A sortable, unique id for one CLI invocation: ``20261001T120000Z-1a2b3c``."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{_random.token_hex(3)}"


def current_log_file() -> Path | None:
    """The JSON log file of this process (where an unexpected error's traceback went)."""
    log_file: Path | None = _state["log_file"]
    return log_file


def current_run_id() -> str | None:
    run_id: str | None = _state["run_id"]
    return run_id


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _record_dict(record: Any, secrets: list[str]) -> dict[str, Any]:
    """The JSON shape of a record; masking is done on the serialised text, so nested values are covered."""
    extra = {k: v for k, v in record["extra"].items() if k != "file_only"}
    entry: dict[str, Any] = {
        "time": record["time"].astimezone(UTC).isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        "message": record["message"],
        "run_id": extra.pop("run_id", None),
        "stage": extra.pop("stage", None),
        "logger": record["name"],
        "function": record["function"],
        "line": record["line"],
    }
    if extra:
        entry["fields"] = _jsonable(extra)
    exc = record["exception"]
    if exc is not None and exc.type is not None:
        entry["exception"] = {
            "type": exc.type.__name__,
            "value": str(exc.value),
            "traceback": "".join(traceback.format_exception(exc.type, exc.value, exc.traceback)),
        }
    return entry


class _JsonFileSink:
    """Appends one masked JSON line per record; the file is opened per write so rotation by date is free."""

    def __init__(self, directory: Path, secrets: list[str]) -> None:
        self.directory = directory
        self.secrets = secrets
        self.lock = threading.Lock()
        self.failed = False

    def path_for(self, when: datetime) -> Path:
        return self.directory / f"{when.astimezone(UTC):%Y-%m-%d}.jsonl"

    def __call__(self, message: Any) -> None:
        record = message.record
        line = mask_secrets(json.dumps(_record_dict(record, self.secrets), ensure_ascii=False), self.secrets)
        path = self.path_for(record["time"])
        with self.lock:
            if self.failed:
                return
            try:
                with path.open("a", encoding="utf-8") as handle:
                    handle.write(line + "\n")
            except OSError:
                # A full disk or a lost directory must not turn every later log call into a
                # traceback on the console: the console sink still shows the records, and the
                # run's own error line says what failed.
                self.failed = True
                return
        _state["log_file"] = path


class _ConsoleSink:
    """Human lines (colour on a TTY) or JSON lines, always masked, on ``stream`` (default: stderr).

    Without an explicit stream, ``sys.stderr`` is looked up at each write, so a rich spinner or
    progress bar (which redirects stderr while it runs) prints log lines above itself.
    """

    def __init__(self, stream: TextIO | None, secrets: list[str], as_json: bool) -> None:
        self._stream = stream
        self.secrets = secrets
        self.as_json = as_json
        probe = stream or sys.stderr
        self.color = not as_json and hasattr(probe, "isatty") and probe.isatty()

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    def __call__(self, message: Any) -> None:
        record = message.record
        if self.as_json:
            text = json.dumps(_record_dict(record, self.secrets), ensure_ascii=False)
        else:
            extra = {k: v for k, v in record["extra"].items() if k not in _RESERVED}
            fields = " ".join(f"{k}={_short(v)}" for k, v in extra.items())
            level = record["level"].name
            stage = record["extra"].get("stage") or "-"
            head = f"{record['time']:%H:%M:%S} {level:<7} {stage:<8}"
            if self.color:
                head = f"{_LEVEL_COLORS.get(level, '')}{head}\x1b[0m"
            text = f"{head} {record['message']}" + (f"  {fields}" if fields else "")
            exc = record["exception"]
            if exc is not None and exc.type is not None:
                text += f"  ({exc.type.__name__}: {exc.value})"
        self.stream.write(mask_secrets(text, self.secrets) + "\n")
        self.stream.flush()


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _InterceptHandler(logging.Handler):
    """Routes stdlib logging records (dlt, dbt, httpx) into loguru, keeping their level.

    dlt's records go to the JSON file only: every dlt failure reaches our code as an exception
    that the run reports in one line (a lock it waits on, a full disk, a failed load), and dlt's
    own lines name load-package paths and job classes, which the console has no use for."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        file_only = record.name.split(".")[0] in NON_PROPAGATING_LOGGERS
        logger.opt(depth=6, exception=record.exc_info).bind(logger_name=record.name, file_only=file_only).log(
            level, record.getMessage()
        )


def setup_logging(
    settings: Settings,
    run_id: str | None = None,
    stage: str = "cli",
    *,
    console: bool = True,
    stream: TextIO | None = None,
) -> Path:
    """Install the console and JSON-file sinks for this process; returns the log directory.

    Safe to call again (the CLI does, per command): previous sinks are removed first.
    """
    run_id = run_id or new_run_id()
    secrets = settings.secrets()
    logger.remove()
    logger.configure(extra={"run_id": run_id, "stage": stage})
    _state["run_id"] = run_id
    level = settings.log_level or "INFO"
    if console:
        logger.add(
            _ConsoleSink(stream, secrets, bool(settings.log_json)),
            level=level,
            # Records bound with file_only=True (the CLI's own error line covers them) skip the console.
            filter=lambda record: not record["extra"].get("file_only"),
            format="{message}",
            backtrace=False,
            diagnose=False,
        )
    log_dir = settings.logs_dir
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        sink = _JsonFileSink(log_dir, secrets)
        _state["log_file"] = sink.path_for(datetime.now(UTC))
        # The file always gets DEBUG and above: it is where an operator looks after the fact.
        logger.add(sink, level="DEBUG", format="{message}", backtrace=False, diagnose=False)
    except OSError as exc:
        _state["log_file"] = None
        logger.warning("JSON log disabled: {} cannot be created ({})", log_dir, exc.strerror)
    # The handler's own level matters: libraries (GX, dbt) set INFO on their loggers, and their
    # records reach the root handlers whatever the root logger's level is.
    intercept = _InterceptHandler(level=logging.WARNING)
    logging.basicConfig(handlers=[intercept], level=logging.WARNING, force=True)
    _state["intercept"] = intercept
    route_library_loggers()
    return log_dir


def route_library_loggers() -> None:
    """Send loggers that do not propagate (dlt's) through the masked sinks.

    dlt gives its logger a stderr handler and turns propagation off whenever it (re)initialises
    its runtime, e.g. when a pipeline is built; it reuses the first handler it finds, so making
    ours the only one routes dlt through loguru. Called by ``setup_logging`` and again after a
    pipeline is built; a no-op until logging is set up (library use keeps dlt's own handler).
    """
    intercept = _state["intercept"]
    if intercept is None:
        return
    for name in NON_PROPAGATING_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers = [intercept]
        library_logger.propagate = False
        library_logger.disabled = False
        if library_logger.level == logging.NOTSET or library_logger.level > logging.WARNING:
            library_logger.setLevel(logging.WARNING)


@contextmanager
def stage_context(stage: str, **attributes: Any) -> Iterator[Any]:
    """Log lines inside carry ``stage``; a tracing span wraps the stage (no-op when tracing is off)."""
    with logger.contextualize(stage=stage), tracing.span(f"stage.{stage}", stage=stage, **attributes) as sp:
        yield sp
