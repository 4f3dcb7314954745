"""``make chaos``: a seeded campaign of random trials against the emulator, each one proven whole.

A trial runs ``producthuntdb run`` (comments and votes included) under a random mix of the
injections in :data:`INJECTIONS` — server faults, a throttled budget, a foreign spender on the same
budget, readers holding the served file, concurrent exports — and SIGKILLs its whole process group
at a random moment of a random stage (or lets it finish). Then a finishing ``run`` with nothing
injected and nobody's hand must exit 0, and:

* the served marts ``posts``, ``post_topics``, ``post_makers``, ``comments`` and ``votes`` hold the
  emulator's truth (``GET /_emulator/truth``): no row lost, none twice, none extra; the export is
  whole (its manifest's files, checksums matching) and holds the same rows;
* no byte of any output — consoles, JSON logs, every file of the data directory — holds the token;
* no console shows a traceback, no reader query failed, and every concurrent export either
  succeeded or said why in one line.

A chain of trials shares a data directory and an emulator whose clock moves on between trials
(incremental runs); a new chain (a fresh harvest) starts at random, after a failed trial, and
before the clock has moved so far that posts leave the look-back window (the campaign's runs use
``--lookback 60d`` so that comment and vote counts of every post stay current, and the tiny
world's history is a month).

One CSV row per trial (``--out``, default ``bench/chaos.csv``: seed, what was injected, where the
kill landed, the outcome); the exit status is 1 if any trial lost or duplicated a row, leaked the
token, showed a traceback, broke a reader or needed a hand to recover. The same ``--seed`` draws the
same trials; where a kill lands within its stage depends on the machine's speed.

    python bench/chaos.py --trials 100 --seed 1 [--scale tiny] [--out bench/chaos.csv] [--work DIR] [--keep] [--jobs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx

from common import ROOT, UNTHROTTLED, admin_get, admin_post
from producthuntdb.emulator import EmulatorConfig, EmulatorServer
from producthuntdb.telemetry import TELEMETRY_OFF
from producthuntdb.warehouse import quote_literal

PRODUCTHUNTDB = str(Path(sys.executable).with_name("producthuntdb"))
RUN = [PRODUCTHUNTDB, "run", "--with", "comments,votes", "--lookback", "60d"]
STAGES = ("sync", "build", "check", "serve", "export", "report")
TYPICAL_SECONDS = {"sync": 8.0, "build": 18.0, "check": 12.0, "serve": 0.8, "export": 0.6, "report": 3.0}
"""How long each stage of a tiny run lasts on an idle machine: a kill lands at a uniform moment within."""
FAULT_KINDS = (
    "500", "502", "503", "timeout", "slow", "malformed", "graphql_error", "reset", "html_502", "waf_403",
    "429_bare", "retry_after", "epoch_reset", "partial", "complexity",
)
"""The server's and the network's faults. The emulator's hostile-data kinds (``cursor_loop``,
``ignore_dates``, ``short_page``, ``null_id``, ``dup_id``) are not drawn: a window they leave short is
recorded as a gap and the gate fails until someone harvests it again — a refusal by design, which
this campaign's oracle (a finishing run that needs no hand) would count as a failure."""
MARTS = {
    "posts": ("post_id",),
    "post_topics": ("post_id", "topic_id"),
    "post_makers": ("post_id", "position"),
    "comments": ("comment_id",),
    "votes": ("vote_id",),
}
"""The marts compared with the emulator's truth, and the key each row is unique on."""
MAX_CHAIN_HOURS = 20 * 24
"""The clock moves at most this far in a chain: the look-back (60 days) must still cover the whole history."""
RUN_TIMEOUT = 1200.0
TRACEBACK = "Traceback (most recent call last)"
READER = r"""
import json, pathlib, sys, time
import duckdb

path, mode, stop = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
held = None
while True:
    last = stop.exists()
    if path.exists():
        try:
            if mode == "hold":
                held = held or duckdb.connect(str(path), read_only=True)
                con = held
            else:
                con = duckdb.connect(str(path), read_only=True)
            seen = {"posts": con.execute("select count(*) from marts.posts").fetchone()[0],
                    "published_at": con.execute("select published_at from meta.publication").fetchone()[0]}
            if con is not held:
                con.close()
        except Exception as exc:
            seen = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(seen), flush=True)
    if last:
        break
    time.sleep(0.3)
"""


# ----------------------------------------------------------------------------- a trial
@dataclass
class Trial:
    """One trial: its plan, the emulator, its directory, and what it saw."""

    index: int
    seed: str
    server: EmulatorServer
    data_dir: Path
    out_dir: Path
    token: str
    plan: dict[str, Any] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    readers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    exports: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)
    spender: threading.Event | None = None
    timers: list[threading.Timer] = field(default_factory=list)

    def configure(self, **settings: Any) -> None:
        admin_post(self.server, "config", settings)

    def env(self, name: str) -> dict[str, str]:
        """The environment of one CLI process of this trial; its JSON log in a directory of its own."""
        log_dir = self.out_dir / f"logs-{name}"
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("PRODUCTHUNT_")},
            **TELEMETRY_OFF,
            "PRODUCTHUNT_DATA_DIR": str(self.data_dir),
            "PRODUCTHUNT_API_URL": self.server.url,
            "PRODUCTHUNT_TOKEN": self.token,
            "PRODUCTHUNT_DBT_PROJECT_DIR": str(ROOT / "dbt_project"),
            "PRODUCTHUNT_LOG_DIR": str(log_dir),
            "PRODUCTHUNT_READ_TIMEOUT": "5",
            "PRODUCTHUNT_LOCK_WAIT_SECONDS": "600",
        }

    def spawn(self, name: str, argv: list[str], **kwargs: Any) -> tuple[subprocess.Popen[bytes], Path]:
        out = self.out_dir / f"{name}.out"
        self.outputs.append(out)
        handle = out.open("wb")
        process = subprocess.Popen(
            argv, env=self.env(name), cwd=self.out_dir, stdout=handle, stderr=subprocess.STDOUT, **kwargs
        )
        handle.close()
        return process, out


# ----------------------------------------------------------------------------- the injections
def _start_budget(trial: Trial, budget: int) -> None:
    trial.configure(budget=budget, window_seconds=3)


def _start_faults(trial: Trial, faults: dict[str, Any]) -> None:
    trial.configure(fault_rate=faults["rate"], faults=faults["kinds"])


def _draw_faults(rng: random.Random) -> dict[str, Any] | None:
    rate = rng.choice([0.0, 0.0, 0.02, 0.05, 0.1, 0.2])
    return {"rate": rate, "kinds": sorted(rng.sample(FAULT_KINDS, rng.randint(1, 5)))} if rate else None


def _start_spender(trial: Trial, points_per_second: int) -> None:
    """Another tool of the same application: spends ``points_per_second`` of the same budget."""
    from producthuntdb.api.complexity import query_cost

    stop = threading.Event()
    trial.spender = stop
    query = "{ posts(first: 20) { nodes { id name tagline votesCount } } }"
    pause = query_cost(query) / points_per_second

    def spend() -> None:
        with httpx.Client(timeout=10) as client:
            while not stop.is_set():
                with contextlib.suppress(httpx.HTTPError):
                    client.post(trial.server.url, json={"query": query}, headers={"Authorization": f"Bearer {trial.token}"})
                stop.wait(pause)

    threading.Thread(target=spend, daemon=True).start()


def _stop_spender(trial: Trial, _: Any) -> None:
    if trial.spender is not None:
        trial.spender.set()


def _start_readers(trial: Trial, modes: list[str]) -> None:
    stop = trial.out_dir / "readers.stop"
    for i, mode in enumerate(modes):
        reader, _ = trial.spawn(f"reader-{i}-{mode}", [sys.executable, "-c", READER, str(trial.data_dir / "producthunt.duckdb"), mode, str(stop)])
        trial.readers.append(reader)


def _stop_readers(trial: Trial, _: Any) -> None:
    (trial.out_dir / "readers.stop").touch()
    for reader in trial.readers:
        try:
            reader.wait(timeout=120)
        except subprocess.TimeoutExpired:
            reader.kill()
            trial.problems.append("a reader did not stop")


def _start_exports(trial: Trial, delays: list[float]) -> None:
    """``producthuntdb export`` at each of ``delays`` seconds into the run, beside it (or right after
    it, among what a kill left, when the run ended first)."""
    lock = threading.Lock()
    for i, delay in enumerate(delays):

        def launch(name: str = f"export-{i}") -> None:
            with lock:
                if not any(out.stem == name for _, out in trial.exports):
                    trial.exports.append(trial.spawn(name, [PRODUCTHUNTDB, "export"]))

        timer = threading.Timer(delay, launch)
        timer.start()
        trial.timers.append(timer)


def _stop_exports(trial: Trial, _: Any) -> None:
    for timer in trial.timers:
        timer.cancel()
        timer.function()  # at once if it has not fired yet (a no-op if it has)
    for process, out in trial.exports:
        try:
            process.wait(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            trial.problems.append("a concurrent export hung")
            continue
        errors = [line for line in out.read_text("utf-8", "replace").splitlines() if line.startswith("error:")]
        if process.returncode != 0 and len(errors) != 1:
            trial.problems.append(f"a concurrent export exited {process.returncode} without one error line")


def _nothing(trial: Trial, value: Any) -> None:
    return None


@dataclass(frozen=True)
class Injection:
    """What a trial may inject: ``draw`` its value (falsy: not this trial), ``start`` it before the
    chaotic run, ``stop`` it after that run (``through_finish``: after the finishing run)."""

    name: str
    draw: Callable[[random.Random], Any]
    start: Callable[[Trial, Any], None]
    stop: Callable[[Trial, Any], None] = _nothing
    through_finish: bool = False


INJECTIONS: tuple[Injection, ...] = (
    Injection("budget", lambda rng: rng.choice([0, 0, 6250, 20000]), _start_budget),
    Injection("faults", _draw_faults, _start_faults),
    Injection("foreign_pps", lambda rng: rng.choice([0, 0, 500, 1500]), _start_spender, _stop_spender),
    # The emulator's own foreign spender (`api serve --foreign-spend P`, issue 20), when it has one:
    # Injection("foreign_spend", lambda rng: rng.choice([0, 500]), lambda t, p: t.configure(foreign_spend=p),
    #           lambda t, p: t.configure(foreign_spend=0)),
    Injection("readers", lambda rng: rng.sample(["hold", "poll"], rng.randint(0, 2)), _start_readers, _stop_readers,
              through_finish=True),
    Injection("exports", lambda rng: sorted(round(rng.uniform(0, 40), 1) for _ in range(rng.choice([0, 0, 1, 3]))),
              _start_exports, _stop_exports),
)
"""Every injection a trial draws from; after the chaotic run the emulator is reset to no faults and
an unlimited budget."""


# ----------------------------------------------------------------------------- the chaotic run and its kill
class LogTail:
    """The stages a run has entered, read from its JSON log as it grows."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.offsets: dict[Path, int] = {}
        self.stage: str | None = None
        self.started: dict[str, float] = {}

    def read(self) -> None:
        for path in sorted(self.log_dir.glob("*.jsonl")):
            with path.open("rb") as handle:
                handle.seek(self.offsets.get(path, 0))
                data = handle.read()
            complete = data[: data.rfind(b"\n") + 1]
            self.offsets[path] = self.offsets.get(path, 0) + len(complete)
            for line in complete.splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                stage = record.get("stage")
                if stage in STAGES:
                    self.stage = stage
                    self.started.setdefault(stage, time.monotonic())


def chaotic_run(trial: Trial) -> None:
    """The run under injections, SIGKILLed (its whole process group) at the planned moment."""
    target, fraction = trial.plan["kill_stage"], trial.plan["kill_fraction"]
    process, _ = trial.spawn("run-chaotic", RUN, start_new_session=True)
    tail = LogTail(trial.out_dir / "logs-run-chaotic")
    started = time.monotonic()
    killed_in, after = "-", None
    while process.poll() is None:
        tail.read()
        if target and target in tail.started and time.monotonic() - tail.started[target] >= fraction * TYPICAL_SECONDS[target]:
            os.killpg(process.pid, signal.SIGKILL)
            tail.read()
            killed_in, after = tail.stage or "start", round(time.monotonic() - tail.started[target], 2)
            break
        if time.monotonic() - started > RUN_TIMEOUT:
            os.killpg(process.pid, signal.SIGKILL)
            trial.problems.append("the chaotic run hung")
            killed_in = "hung"
            break
        time.sleep(0.02)
    process.wait()
    trial.row.update(killed_in=killed_in, kill_after_s=after, chaotic_rc=process.returncode)


def finishing_run(trial: Trial) -> None:
    process, out = trial.spawn("run-finishing", RUN)
    try:
        process.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    trial.row["finishing_rc"] = process.returncode
    if process.returncode != 0:
        last = [line for line in out.read_text("utf-8", "replace").splitlines() if line.strip()][-1:]
        trial.problems.append(f"the finishing run exited {process.returncode}: {' '.join(last)[:200]}")


# ----------------------------------------------------------------------------- the checks
def compare(trial: Trial, where: str, counts: dict[str, tuple[int, int]], truth: dict[str, int]) -> tuple[int, int]:
    """Lost and duplicated (or extra) rows of ``counts`` ({mart: (rows, distinct keys)}) against truth."""
    lost = duplicated = 0
    for mart, (rows, keys) in counts.items():
        lost += max(truth[mart] - keys, 0)
        duplicated += (rows - keys) + max(keys - truth[mart], 0)
        if keys != truth[mart] or rows != keys:
            trial.problems.append(f"{where} {mart}: {rows} rows, {keys} keys, truth {truth[mart]}")
    return lost, duplicated


def marts_of(connect: Callable[[], Any], source: Callable[[str], str]) -> dict[str, tuple[int, int]]:
    import duckdb

    con = connect()
    try:
        counts = {}
        for mart, key in MARTS.items():
            row = con.execute(f"select count(*), count(distinct ({', '.join(key)})) from {source(mart)}").fetchone()
            counts[mart] = (int(row[0]), int(row[1]))
        return counts
    except duckdb.Error as exc:
        raise RuntimeError(str(exc).splitlines()[0]) from None
    finally:
        con.close()


def check_trial(trial: Trial) -> None:
    import duckdb

    truth = admin_get(trial.server, "truth")
    served = trial.data_dir / "producthunt.duckdb"
    lost = duplicated = 0
    try:
        counts = marts_of(lambda: duckdb.connect(str(served), read_only=True), lambda m: f"marts.{m}")
        lost, duplicated = compare(trial, "served", counts, truth)
    except (RuntimeError, duckdb.Error) as exc:
        trial.problems.append(f"the served file cannot be read: {exc}")
    export = trial.data_dir / "export"
    try:
        manifest = json.loads((export / "manifest.json").read_text("utf-8"))
        for info in manifest["tables"].values():
            for entry in info["files"].values():
                if hashlib.sha256((export / entry["path"]).read_bytes()).hexdigest() != entry["sha256"]:
                    trial.problems.append(f"export {entry['path']}: checksum does not match the manifest")
        exported = marts_of(duckdb.connect, lambda m: f"read_parquet({quote_literal(export / (m + '.parquet'))})")
        export_lost, export_duplicated = compare(trial, "export", exported, truth)
        lost, duplicated = max(lost, export_lost), max(duplicated, export_duplicated)
    except (OSError, ValueError, KeyError, RuntimeError, duckdb.Error) as exc:
        trial.problems.append(f"the export is not whole: {type(exc).__name__}: {str(exc)[:200]}")
    leaks = [
        str(p)
        for p in (*trial.out_dir.rglob("*"), *trial.data_dir.rglob("*"))
        if p.is_file() and trial.token.encode() in p.read_bytes()
    ]
    tracebacks = [p.name for p in trial.outputs if TRACEBACK in p.read_text("utf-8", "replace")]
    reader_errors = sum(
        1
        for p in trial.outputs
        if p.name.startswith("reader-")
        for line in p.read_text("utf-8", "replace").splitlines()
        if '"error"' in line
    )
    logged = sum(
        1 for p in trial.out_dir.glob("logs-*/*.jsonl") for line in p.read_text("utf-8", "replace").splitlines()
        if '"traceback"' in line
    )
    if leaks:
        trial.problems.append(f"the token is in {', '.join(leaks[:3])}")
    if tracebacks:
        trial.problems.append(f"a traceback in {', '.join(tracebacks)}")
    if reader_errors:
        trial.problems.append(f"{reader_errors} failed reader queries")
    trial.row.update(
        lost=lost, duplicated=duplicated, leaks=len(leaks), tracebacks=len(tracebacks),
        reader_errors=reader_errors, logged_exceptions=logged,
    )


# ----------------------------------------------------------------------------- the campaign
COLUMNS = (
    "trial", "seed", "chain", "mode", "clock_hours", "budget", "faults", "fault_rate", "foreign_pps", "readers",
    "exports", "kill_stage", "killed_in", "kill_after_s", "chaotic_rc", "finishing_rc", "lost", "duplicated",
    "leaks", "tracebacks", "reader_errors", "logged_exceptions", "seconds", "outcome",
)


def plan_trial(rng: random.Random) -> dict[str, Any]:
    plan = {injection.name: injection.draw(rng) for injection in INJECTIONS}
    plan["kill_stage"] = rng.choice([*STAGES, *STAGES[:3], None])
    plan["kill_fraction"] = round(rng.random(), 3)
    return plan


def run_trial(trial: Trial) -> None:
    started = time.monotonic()
    active = [(i, trial.plan[i.name]) for i in INJECTIONS if trial.plan[i.name]]
    try:
        for injection, value in active:
            injection.start(trial, value)
        try:
            chaotic_run(trial)
        finally:
            for injection, value in active:
                if not injection.through_finish:
                    injection.stop(trial, value)
            trial.configure(budget=UNTHROTTLED, fault_rate=0.0, faults=[])
        finishing_run(trial)
    finally:
        for injection, value in active:
            if injection.through_finish:
                injection.stop(trial, value)
    check_trial(trial)
    faults = trial.plan["faults"] or {"rate": 0.0, "kinds": []}
    trial.row.update(
        budget=trial.plan["budget"] or "unthrottled", faults="+".join(faults["kinds"]) or "-",
        fault_rate=faults["rate"], foreign_pps=trial.plan["foreign_pps"],
        readers="+".join(trial.plan["readers"]) or "-", exports=len(trial.plan["exports"]),
        kill_stage=trial.plan["kill_stage"] or "-", seconds=round(time.monotonic() - started, 1),
        outcome="ok" if not trial.problems else "; ".join(trial.problems)[:500],
    )


def start_emulator(scale: str, token: str) -> EmulatorServer:
    config = EmulatorConfig(scale=scale, budget=UNTHROTTLED, window_seconds=3, token=token, timeout_seconds=8, slow_seconds=1)  # type: ignore[arg-type]
    return EmulatorServer(config).start()


class Campaign:
    """The trials of one campaign, drawn by index and run by ``jobs`` workers, each with chains of
    its own (its own emulator and data directories); rows go to one CSV as trials finish."""

    def __init__(self, trials: int, seed: int, scale: str, work: Path, keep: bool, writer: csv.DictWriter[str], handle: TextIO) -> None:
        self.trials, self.seed, self.scale, self.work, self.keep = trials, seed, scale, work, keep
        self.writer, self.handle = writer, handle
        self.token = f"chaos-{secrets.token_hex(16)}"
        self.lock = threading.Lock()
        self.next_index, self.next_chain = 0, 0
        self.failed, self.outcomes, self.kills = 0, Counter[str](), Counter[str]()

    def _take(self) -> int | None:
        """The next trial's index, None when every trial is taken."""
        with self.lock:
            if self.next_index >= self.trials:
                return None
            self.next_index += 1
            return self.next_index - 1

    def _new_chain(self) -> int:
        """The next chain's number: 1, 2, … across all workers."""
        with self.lock:
            self.next_chain += 1
            return self.next_chain

    def worker(self) -> None:
        server: EmulatorServer | None = None
        chain, chain_dir, chain_hours, fresh_next = 0, self.work, 0, True
        try:
            while (index := self._take()) is not None:
                trial_seed = f"{self.seed}:{index}"
                rng = random.Random(trial_seed)
                hours = rng.choice([1, 3, 6, 12, 24])
                if fresh_next or rng.random() < 0.3 or chain_hours + hours > MAX_CHAIN_HOURS or server is None:
                    if server is not None:
                        server.stop()
                    if not self.keep and chain_dir != self.work and not fresh_next:
                        shutil.rmtree(chain_dir, ignore_errors=True)
                    chain = self._new_chain()
                    chain_dir, chain_hours, mode, hours = self.work / f"chain-{chain}", 0, "fresh", 0
                    server = start_emulator(self.scale, self.token)
                else:
                    mode = "incremental"
                    admin_post(server, "clock", {"advance_seconds": hours * 3600})
                    chain_hours += hours
                out_dir = chain_dir / f"trial-{index}"
                out_dir.mkdir(parents=True)
                trial = Trial(index, trial_seed, server, chain_dir / "data", out_dir, self.token, plan=plan_trial(rng))
                trial.row.update(trial=index, seed=trial_seed, chain=chain, mode=mode, clock_hours=hours)
                try:
                    run_trial(trial)
                except Exception as exc:  # the campaign itself failed: say so in the row, go on fresh
                    trial.row.update(outcome=f"campaign error: {type(exc).__name__}: {str(exc)[:300]}")
                    trial.problems.append("campaign error")
                fresh_next = bool(trial.problems)
                self.record(trial, mode)
        finally:
            if server is not None:
                server.stop()
        if not self.keep and not fresh_next and chain_dir != self.work:
            shutil.rmtree(chain_dir, ignore_errors=True)

    def record(self, trial: Trial, mode: str) -> None:
        with self.lock:
            self.writer.writerow({key: trial.row.get(key, "") for key in COLUMNS})
            self.handle.flush()
            self.failed += bool(trial.problems)
            self.outcomes["ok" if not trial.problems else "failed"] += 1
            self.kills[str(trial.row.get("killed_in", "-"))] += 1
            print(
                f"trial {trial.index} ({mode}, kill {trial.plan['kill_stage'] or '-'} → {trial.row.get('killed_in')}): "
                f"{trial.row.get('outcome')}",
                flush=True,
            )


def campaign(trials: int, seed: int, scale: str, out: Path, work: Path, keep: bool, jobs: int = 1) -> int:
    """Run the campaign; with ``jobs`` > 1 that many chains run side by side (which trials share a
    chain then depends on timing; each trial's draw still depends only on its seed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        run = Campaign(trials, seed, scale, work, keep, writer, handle)
        workers = [threading.Thread(target=run.worker, name=f"chaos-worker-{i}") for i in range(max(1, jobs))]
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
    print(f"\n{trials} trials, {run.outcomes['ok']} ok, {run.failed} failed; killed in: {dict(sorted(run.kills.items()))}")
    print(f"CSV: {out}")
    return 1 if run.failed or sum(run.outcomes.values()) < trials else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", default="tiny", choices=["tiny", "small"])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "chaos.csv")
    parser.add_argument("--work", type=Path, default=None, help="where trials run (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep every trial's directory (failed ones are always kept)")
    parser.add_argument("--jobs", type=int, default=1, help="chains run side by side (default 1)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="producthuntdb-chaos-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"chaos: {args.trials} trials, seed {args.seed}, scale {args.scale}, {args.jobs} job(s), in {work}", flush=True)
    return campaign(args.trials, args.seed, args.scale, args.out.resolve(), work.resolve(), args.keep, args.jobs)


if __name__ == "__main__":
    sys.exit(main())
