"""The benchmark of SPEC section 8: the product against a pandas script and bare DuckDB SQL.

One run generates a LearnUpon-like users report and activity report of the asked size, then does
the same job three ways, each in its own process so that each peak memory is its own:

- the product, through the functions the command line and the app call: load, review, a cutoff
  change (timed as the app makes it and as a bare call), export;
- a plain pandas script, written the way a competent analyst would;
- bare DuckDB SQL, with no product code.

All three write the Batch upload deactivation file; the run fails unless the three are
byte-identical. Timings are taken inside each process after its imports.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from dashboard.errors import SeatReviewError

AS_OF = date(2026, 6, 30)
INACTIVE_DAYS = 90
CHANGED_INACTIVE_DAYS = 180
SEED = 20260630
MIB = 1024 * 1024
GIB = 1024 * MIB

# SPEC section 8, at 1,000,000 accounts / 10,000,000 activity rows.
PANDAS_SPEEDUP_TARGET = 3.0
DUCKDB_SLOWDOWN_TARGET = 1.5
CUTOFF_CHANGE_TARGET_S = 0.200
PEAK_TARGET_BYTES = 2 * GIB

FIRST_NAMES = [
    ("Anna", "anna"), ("Ben", "ben"), ("Chloé", "chloe"), ("David", "david"), ("Emma", "emma"),
    ("Farah", "farah"), ("George", "george"), ("Hannah", "hannah"), ("Ivan", "ivan"),
    ("José", "jose"), ("Karen", "karen"), ("Liam", "liam"), ("María", "maria"), ("Noah", "noah"),
    ("Olivia", "olivia"), ("Priya", "priya"), ("Quentin", "quentin"), ("Rosa", "rosa"),
    ("Seán", "sean"), ("Tomás", "tomas"), ("Uma", "uma"), ("Victor", "victor"), ("Wei", "wei"),
    ("Xavier", "xavier"), ("Yuki", "yuki"), ("Zoë", "zoe"),
]  # fmt: skip
LAST_NAMES = [
    ("Murphy", "murphy"), ("O'Brien", "obrien"), ("Smith", "smith"), ("Müller", "mueller"),
    ("García", "garcia"), ("Nguyen", "nguyen"), ("Kowalski", "kowalski"), ("Rossi", "rossi"),
    ("Dubois", "dubois"), ("Johansson", "johansson"), ("Patel", "patel"), ("Kim", "kim"),
    ("Silva", "silva"), ("Walsh", "walsh"), ("Byrne", "byrne"), ("Jensen", "jensen"),
    ("Novak", "novak"), ("Tanaka", "tanaka"), ("Cohen", "cohen"), ("Ó Súilleabháin", "osullivan"),
]  # fmt: skip
DOMAINS = ["example.com", "example.org", "corp.example", "partner.example", "contractors.example"]
DOMAIN_WEIGHTS = [0.55, 0.2, 0.15, 0.07, 0.03]
USER_TYPES = ["Learner", "Manager", "Instructor", "Admin"]
USER_TYPE_WEIGHTS = [0.85, 0.07, 0.05, 0.03]
GROUPS = ["Sales", "Support", "Engineering", "Finance", "EMEA", "Americas", "APAC", "Partners"]
COURSES = [
    "Onboarding", "Code of Conduct", "Information Security", "GDPR Essentials",
    "Health & Safety, Level 1", "Health & Safety, Level 2", "Product Basics", "Advanced Selling",
    "Customer Care", "Leadership 101", "Anti-Bribery", "Accessibility at Work",
]  # fmt: skip

DISABLED_SHARE = 0.12
# Accounts that sign in recently, that stopped some time ago, and that never signed in.
SEGMENT_WEIGHTS = [0.6, 0.27, 0.13]
# Signed-in accounts whose report "Last Login" lags their latest activity row.
STALE_LOGIN_SHARE = 0.3
# Never-signed-in accounts that still have activity rows (e.g. single sign-on sessions).
NEVER_WITH_ACTIVITY_SHARE = 0.1
UNMATCHED_SHARE = 0.01
LOWER_CASE_ACTIVITY_SHARE = 0.5
HISTORY_DAYS = 6 * 365


@dataclass(frozen=True)
class BenchData:
    """The generated reports and what is known about them by construction."""

    users_csv: Path
    activity_csv: Path
    users: int
    events: int
    unmatched: int
    as_of: date
    seed: int
    reused: bool = False


def _epoch_seconds(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def generate(
    workdir: Path, users: int, events: int, *, as_of: date = AS_OF, seed: int = SEED
) -> BenchData:
    """Write `users.csv` and `activity.csv` of the given sizes into `workdir`; return them.

    Deterministic for a given seed: numpy draws every random number, DuckDB formats and writes
    the rows. A manifest lets a later run on the same workdir reuse the files.
    """
    if users < 1 or events < 1:
        raise SeatReviewError("bench: --users and --events must both be at least 1")
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = workdir / "manifest.json"
    wanted = {"users": users, "events": events, "as_of": as_of.isoformat(), "seed": seed}
    if manifest.exists():
        known = json.loads(manifest.read_text(encoding="utf-8"))
        if {k: known.get(k) for k in wanted} == wanted:
            return _bench_data(workdir, known, reused=True)
        manifest.unlink()
    unmatched = _write_reports(workdir, users, events, as_of=as_of, seed=seed)
    known = {**wanted, "unmatched": unmatched}
    manifest.write_text(json.dumps(known), encoding="utf-8")
    return _bench_data(workdir, known)


def _bench_data(workdir: Path, known: dict[str, Any], *, reused: bool = False) -> BenchData:
    return BenchData(
        users_csv=workdir / "users.csv",
        activity_csv=workdir / "activity.csv",
        users=known["users"],
        events=known["events"],
        unmatched=known["unmatched"],
        as_of=date.fromisoformat(known["as_of"]),
        seed=known["seed"],
        reused=reused,
    )


def _write_reports(workdir: Path, n: int, m: int, *, as_of: date, seed: int) -> int:
    import duckdb
    import numpy as np
    import pandas as pd

    from dashboard.store import sql

    rng = np.random.default_rng(seed)
    day = 86_400
    as_of_s = _epoch_seconds(as_of)
    created = as_of_s - rng.integers(3_600, HISTORY_DAYS * day, n)
    segment = rng.choice(3, n, p=SEGMENT_WEIGHTS)
    span = as_of_s - created
    recent = np.maximum(created, as_of_s - rng.integers(0, INACTIVE_DAYS * day, n))
    lapsed = created + (rng.random(n) * 0.9 * span).astype(np.int64)
    has_activity = (segment < 2) | (rng.random(n) < NEVER_WITH_ACTIVITY_SHARE)
    last_seen = np.where(segment == 0, recent, lapsed)
    stale = rng.random(n) < STALE_LOGIN_SHARE
    older = created + (rng.random(n) * (last_seen - created)).astype(np.int64)
    last_login = np.where(segment == 2, -1, np.where(stale, older, last_seen))
    group_a = np.where(rng.random(n) < 0.7, rng.integers(0, len(GROUPS), n), -1)
    group_b = np.where(
        (group_a >= 0) & (rng.random(n) < 0.4),
        (group_a + rng.integers(1, len(GROUPS), n)) % len(GROUPS),
        -1,
    )
    user_draws = pd.DataFrame(
        {
            "idx": np.arange(n, dtype=np.int64),
            "first": rng.integers(0, len(FIRST_NAMES), n),
            "last": rng.integers(0, len(LAST_NAMES), n),
            "domain": rng.choice(len(DOMAINS), n, p=DOMAIN_WEIGHTS),
            "style": rng.choice(3, n, p=[0.6, 0.3, 0.1]),
            "user_type": rng.choice(len(USER_TYPES), n, p=USER_TYPE_WEIGHTS),
            "disabled": rng.random(n) < DISABLED_SHARE,
            "created_s": created,
            "last_login_s": last_login,
            "sign_in_count": np.where(segment == 2, 0, rng.integers(1, 400, n)),
            "group_a": group_a,
            "group_b": group_b,
        }
    )

    unmatched = m // int(1 / UNMATCHED_SHARE)
    candidates = np.flatnonzero(has_activity)
    if candidates.size == 0:
        candidates = np.arange(n)
    # Activity of never-signed-in accounts spreads over their whole life.
    seen = np.where(segment == 2, as_of_s, last_seen)
    owner = candidates[rng.integers(0, candidates.size, m - unmatched)]
    at_s = created[owner] + (rng.random(owner.size) * (seen[owner] - created[owner])).astype(
        np.int64
    )
    owner = np.concatenate([owner, -rng.integers(1, n + 1, unmatched)])
    at_s = np.concatenate([at_s, as_of_s - rng.integers(0, 2 * 365 * day, unmatched)])
    order = rng.permutation(m)
    activity_draws = pd.DataFrame(
        {
            "row_no": np.arange(m, dtype=np.int64),
            "owner": owner[order],
            "at_s": at_s[order],
            "course": rng.integers(0, len(COURSES), m),
            "lower_case": rng.random(m) < LOWER_CASE_ACTIVITY_SHARE,
        }
    )
    del owner, at_s, order

    params = {
        "first_slugs": [slug for _, slug in FIRST_NAMES],
        "last_slugs": [slug for _, slug in LAST_NAMES],
        "first_names": [name for name, _ in FIRST_NAMES],
        "last_names": [name for name, _ in LAST_NAMES],
        "domains": DOMAINS,
        "user_types": USER_TYPES,
        "groups": GROUPS,
    }
    with duckdb.connect() as con:
        con.register("bench_user_draws", user_draws)
        con.register("bench_activity_draws", activity_draws)
        con.execute("CREATE TEMP TABLE bench_users AS " + sql("bench_users"), params)
        con.sql("SELECT * EXCLUDE (idx) FROM bench_users ORDER BY idx").write_csv(
            str(workdir / "users.csv"), header=True
        )
        con.sql(sql("bench_activity"), params={"courses": COURSES}).write_csv(
            str(workdir / "activity.csv"), header=True
        )
    return unmatched


# -- the three jobs (each runs in its own process; see _child_main) ------------------------------


def _cutoff(as_of: date, inactive_days: int) -> datetime:
    return datetime(as_of.year, as_of.month, as_of.day) - timedelta(days=inactive_days)


def pandas_job(args: dict[str, Any]) -> dict[str, Any]:
    """Do the job as a plain pandas script would; return its stage timings and flagged count."""
    import pandas as pd

    clock = _Clock()
    users = pd.read_csv(
        args["users_csv"],
        usecols=["Email", "User Type", "Enabled", "Date Created", "Last Login", "User ID"],
        dtype={"Email": str, "User ID": str, "User Type": str, "Enabled": str},
    )
    users["Date Created"] = pd.to_datetime(users["Date Created"], format="ISO8601", utc=True)
    users["Last Login"] = pd.to_datetime(users["Last Login"], format="ISO8601", utc=True)
    clock.lap("read_users_s")
    activity = pd.read_csv(args["activity_csv"], usecols=["Email", "Login Date"], dtype=str)
    activity["Login Date"] = pd.to_datetime(activity["Login Date"], format="ISO8601", utc=True)
    clock.lap("read_activity_s")

    activity["key"] = activity["Email"].str.strip().str.lower()
    latest = activity.groupby("key")["Login Date"].max().rename("last_report_activity")
    users["key"] = users["Email"].str.strip().str.lower()
    users = users.merge(latest, left_on="key", right_index=True, how="left")
    last_activity = users[["Last Login", "last_report_activity"]].max(axis=1)
    cutoff = pd.Timestamp(_cutoff(date.fromisoformat(args["as_of"]), args["inactive_days"]))
    cutoff = cutoff.tz_localize("UTC")
    enabled = (
        users["Enabled"].str.strip().str.lower().isin(["true", "yes", "1", "enabled", "active"])
    )
    created = users["Date Created"]
    would_flag = enabled & (
        (last_activity.notna() & (last_activity < cutoff))
        | (last_activity.isna() & (created.isna() | (created < cutoff)))
    )
    protected = users["User Type"].str.strip().str.lower() == "admin"
    flagged = users.loc[would_flag & ~protected, ["Email", "key"]].sort_values("key")
    clock.lap("compute_s")
    out = pd.DataFrame({"email": flagged["Email"].str.strip(), "enabled": "false"})
    out.to_csv(args["out"], index=False, lineterminator="\r\n", encoding="utf-8")
    clock.lap("write_s")
    return {**clock.laps, "job_s": clock.total(), "flagged": len(out)}


def _bare_reads() -> tuple[str, str]:
    from dashboard.store import sql

    users, activity = sql("bench_duckdb_read").split("\n\n")
    return users.partition("\n")[2], activity


def _bare_params(args: dict[str, Any]) -> dict[str, Any]:
    return {
        "users": args["users_csv"],
        "activity": args["activity_csv"],
        "cutoff": _cutoff(date.fromisoformat(args["as_of"]), args["inactive_days"]),
        "out": args["out"],
    }


def duckdb_job(args: dict[str, Any]) -> dict[str, Any]:
    """Do the job in one bare DuckDB statement; return its timing and flagged count."""
    import duckdb

    from dashboard.store import sql

    users, activity = _bare_reads()
    clock = _Clock()
    with duckdb.connect() as con:
        row = con.execute(
            sql("bench_duckdb_job").format(users=users, activity=activity), _bare_params(args)
        ).fetchone()
    clock.lap("query_s")
    return {**clock.laps, "job_s": clock.total(), "flagged": int(row[0])}


def duckdb_kept_job(args: dict[str, Any]) -> dict[str, Any]:
    """Do the bare job but keep what it read in a database file first, as the product must.

    Not a target of SPEC 8: it shows what storing the rows alone costs, with no checks, no
    matching and no audit.
    """
    import duckdb

    from dashboard.store import sql

    users, activity = _bare_reads()
    params = _bare_params(args)
    clock = _Clock()
    with duckdb.connect(args["db"]) as con:
        con.execute("BEGIN TRANSACTION")
        con.execute(
            f"CREATE TABLE users_report AS SELECT * FROM {users}", {"users": params["users"]}
        )
        con.execute(
            f"CREATE TABLE activity_report AS SELECT * FROM {activity}",
            {"activity": params["activity"]},
        )
        con.execute("COMMIT")
        clock.lap("store_s")
        job = sql("bench_duckdb_job").format(users="users_report", activity="activity_report")
        row = con.execute(job, {"cutoff": params["cutoff"], "out": params["out"]}).fetchone()
        clock.lap("query_s")
    return {**clock.laps, "job_s": clock.total(), "flagged": int(row[0])}


def product_job(args: dict[str, Any]) -> dict[str, Any]:
    """Do the job through the product's own functions; return each stage's timing and counts."""
    from dashboard.exporting import export_to_files
    from dashboard.loading import ReportFile, load_reports
    from dashboard.review import review, rules_from_options
    from dashboard.store import Store

    store = Store(Path(args["db"]))
    marks: list[tuple[float, float, str]] = []

    def progress(fraction: float, text: str) -> None:
        marks.append((time.perf_counter(), fraction, text))

    clock = _Clock()
    loaded = load_reports(
        store,
        ReportFile.from_path(Path(args["users_csv"])),
        [ReportFile.from_path(Path(args["activity_csv"]))],
        as_of=date.fromisoformat(args["as_of"]),
        progress=progress,
    )
    clock.lap("load_s")
    rules = rules_from_options(store, inactive_days=args["inactive_days"])
    reviewed = review(store, rules).to_json()
    clock.lap("review_s")
    # A cutoff change as the app makes it: the page run holds one read connection (so the use
    # case's own connections share the open database), opened inside the timing. Then the same
    # through a bare call, as the command line makes it, opening the file for each connection.
    changes, cold = [], []
    for days in args["changed_days"]:
        start = time.perf_counter()
        with store.read():
            review(store, rules_from_options(store, inactive_days=days))
        changes.append(time.perf_counter() - start)
    for days in args["changed_days"]:
        start = time.perf_counter()
        review(store, rules_from_options(store, inactive_days=days))
        cold.append(time.perf_counter() - start)
    clock.skip()
    exported = export_to_files(
        store,
        rules,
        snapshot_id=None,
        as_of=None,
        seat_limit=None,
        out=Path(args["out"]),
        undo_out=None,
        sheet_out=None,
        template=None,
        actor="bench",
    )
    clock.lap("export_s")
    return {
        **clock.laps,
        "job_s": clock.total(),
        "cutoff_change_s": sorted(changes)[len(changes) // 2],
        "cutoff_change_runs_s": changes,
        "cutoff_change_cold_s": sorted(cold)[len(cold) // 2],
        "load_progress": [(t - clock.start, f, text) for t, f, text in marks],
        "loaded": loaded.to_json(),
        "review": reviewed,
        "export": exported.to_json(),
        "flagged": reviewed["flagged"],
    }


def generate_job(args: dict[str, Any]) -> dict[str, Any]:
    """Generate (or reuse) the reports; return the manifest and how long it took."""
    start = time.perf_counter()
    data = generate(Path(args["workdir"]), args["users"], args["events"])
    manifest = json.loads((data.users_csv.parent / "manifest.json").read_text(encoding="utf-8"))
    return {**manifest, "generate_s": time.perf_counter() - start, "reused": data.reused}


JOBS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "product": product_job,
    "pandas": pandas_job,
    "duckdb": duckdb_job,
    "duckdb_kept": duckdb_kept_job,
}


class _Clock:
    """Stage timer: `lap(name)` records the time since the previous lap; `skip()` excludes it."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}
        self.skipped = 0.0

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now

    def skip(self) -> None:
        now = time.perf_counter()
        self.skipped += now - self.last
        self.last = now

    def total(self) -> float:
        return self.last - self.start - self.skipped


def _child_main(argv: list[str]) -> int:
    """Run one job named in argv[0] with the JSON arguments in argv[1]; print its JSON result."""
    job, args = argv[0], json.loads(argv[1])
    result = generate_job(args) if job == "generate" else JOBS[job](args)
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    sys.stdout.write(json.dumps(result, default=str) + "\n")
    return 0


def _run_child(job: str, args: dict[str, Any]) -> dict[str, Any]:
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.bench", job, json.dumps(args)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise SeatReviewError(f"bench: the {job} job failed (exit {done.returncode}):\n{tail}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the run -------------------------------------------------------------------------------------


def run_bench(
    *,
    users: int = 100_000,
    events: int = 1_000_000,
    workdir: Path | None = None,
    quiet: bool = False,
    repeat: int = 1,
) -> dict[str, Any]:
    """Generate data, run the jobs, print and return the result; raise if files differ.

    Without `workdir` the data goes to a temporary directory removed afterwards; with one, the
    files stay there and a later run of the same size reuses them. With `repeat`, the jobs run
    that many rounds, one of each job per round (so a slow spell of a shared machine hits all of
    them alike), and each job's median run is reported.
    """
    if repeat < 1:
        raise SeatReviewError("bench: --repeat must be at least 1")
    say: Callable[[str], None] = (lambda _text: None) if quiet else _say
    root = Path(tempfile.mkdtemp(prefix="lu-seats-bench-")) if workdir is None else workdir
    root = root.resolve()
    try:
        say(f"generating {users:,} accounts and {events:,} activity rows in {root}")
        # In a process of its own too: a child inherits its parent's peak memory as its own
        # ru_maxrss, so this process must stay small for the jobs' peaks to be theirs.
        made = _run_child("generate", {"workdir": str(root), "users": users, "events": events})
        data = _bench_data(root, made, reused=made["reused"])
        generate_s = made["generate_s"]
        common = {
            "users_csv": str(data.users_csv),
            "activity_csv": str(data.activity_csv),
            "as_of": data.as_of.isoformat(),
            "inactive_days": INACTIVE_DAYS,
        }
        dbs = {"product": root / "bench.duckdb", "duckdb_kept": root / "bench-kept.duckdb"}
        runs: dict[str, list[dict[str, Any]]] = {job: [] for job in JOBS}
        outs = {job: root / f"deactivate-{job}.csv" for job in JOBS}
        differing: dict[str, bytes] | None = None
        for round_no in range(1, repeat + 1):
            for job in JOBS:
                outs[job].unlink(missing_ok=True)
                args = {**common, "out": str(outs[job])}
                if job in dbs:  # each run starts from an empty database file
                    for stale in (dbs[job], dbs[job].with_name(dbs[job].name + ".wal")):
                        stale.unlink(missing_ok=True)
                    args |= {"db": str(dbs[job])}
                if job == "product":
                    args |= {"changed_days": [CHANGED_INACTIVE_DAYS, 60, 120]}
                say(f"running the {job} job" + (f" (round {round_no})" if repeat > 1 else ""))
                runs[job].append(_run_child(job, args))
            files = {job: path.read_bytes() for job, path in outs.items()}
            if differing is None and len(set(files.values())) != 1:
                differing = files  # keep the first round whose files differ, for the check
        jobs = {job: _median_run(done) for job, done in runs.items()}
        result = summarise(data, jobs, differing or files, generate_s=generate_s)
        result["repeat"] = repeat
        result["runs_job_s"] = {job: [_r(d["job_s"]) for d in done] for job, done in runs.items()}
    finally:
        if workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    sys.stdout.write(json.dumps(result, indent=2) + "\n" if quiet else format_report(result) + "\n")
    if not result["deactivation"]["identical"]:
        raise SeatReviewError(
            "bench: the deactivation files of the product, pandas and the bare DuckDB jobs differ "
            f"(SHA-256 {result['deactivation']['sha256']}); the product's export is wrong "
            "or a baseline applies other rules"
        )
    if not result["counts_consistent"]:
        raise SeatReviewError(f"bench: the counts disagree: {result['counts']}")
    return result


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the run whose whole-job time is the median (the lower middle of an even count)."""
    ordered = sorted(runs, key=lambda run: run["job_s"])
    return ordered[(len(ordered) - 1) // 2]


def _say(text: str) -> None:
    sys.stderr.write(f"bench: {text}\n")
    sys.stderr.flush()


def summarise(
    data: BenchData,
    jobs: dict[str, dict[str, Any]],
    files: dict[str, bytes],
    *,
    generate_s: float,
) -> dict[str, Any]:
    """Return the bench result: stage timings, ratios, peaks, file check and targets met."""
    product, pandas, bare, kept = (
        jobs["product"],
        jobs["pandas"],
        jobs["duckdb"],
        jobs["duckdb_kept"],
    )
    sha = {job: hashlib.sha256(body).hexdigest() for job, body in files.items()}
    rows = {job: max(body.count(b"\r\n") - 1, 0) for job, body in files.items()}
    identical = len(set(files.values())) == 1 and bool(files)
    loaded = product["loaded"]
    counts = {
        "users": {"generated": data.users, "loaded": loaded.get("users")},
        "activity_rows": {"generated": data.events, "loaded": loaded.get("activity_rows")},
        "activity_unmatched": {
            "generated": data.unmatched,
            "loaded": loaded.get("activity_unmatched"),
        },
        "flagged": {
            "product_review": product["flagged"],
            "pandas": pandas["flagged"],
            "duckdb": bare["flagged"],
            "duckdb_kept": kept["flagged"],
            **{f"{job}_file_rows": n for job, n in rows.items()},
        },
    }
    consistent = all(len(set(pair.values())) == 1 for pair in counts.values())
    phases = _load_phases(product)
    split = _load_split(phases, data)
    pandas_ratio = pandas["job_s"] / product["job_s"]
    duckdb_ratio = product["job_s"] / bare["job_s"]
    peak = product["peak_rss_bytes"]
    at_scale = data.users >= 1_000_000 and data.events >= 10_000_000
    return {
        "users": data.users,
        "events": data.events,
        "as_of": data.as_of.isoformat(),
        "cutoff": _cutoff(data.as_of, INACTIVE_DAYS).date().isoformat(),
        "seed": data.seed,
        "cpu_count": os.cpu_count(),
        "generate_s": round(generate_s, 3),
        "data_reused": data.reused,
        "product": {
            **{k: _r(v) for k, v in split.items()},
            "load_s": _r(product["load_s"]),
            "load_phases": {text: _r(v) for text, v in phases.items()},
            "review_s": _r(product["review_s"]),
            "cutoff_change_s": _r(product["cutoff_change_s"]),
            "cutoff_change_runs_s": [_r(t) for t in product["cutoff_change_runs_s"]],
            "cutoff_change_cold_s": _r(product["cutoff_change_cold_s"]),
            "export_s": _r(product["export_s"]),
            "job_s": _r(product["job_s"]),
            "peak_rss_mib": _mib(peak),
        },
        "pandas": {
            **{k: _r(v) for k, v in pandas.items() if k.endswith("_s")},
            "peak_rss_mib": _mib(pandas["peak_rss_bytes"]),
        },
        "duckdb": {
            **{k: _r(v) for k, v in bare.items() if k.endswith("_s")},
            "peak_rss_mib": _mib(bare["peak_rss_bytes"]),
        },
        "duckdb_kept": {
            **{k: _r(v) for k, v in kept.items() if k.endswith("_s")},
            "peak_rss_mib": _mib(kept["peak_rss_bytes"]),
        },
        "ratios": {
            "pandas_over_product": round(pandas_ratio, 2),
            "product_over_duckdb": round(duckdb_ratio, 2),
            "duckdb_kept_over_duckdb": round(kept["job_s"] / bare["job_s"], 2),
            "product_over_duckdb_kept": round(product["job_s"] / kept["job_s"], 2),
        },
        "review": product["review"],
        "deactivation": {"identical": identical, "rows": rows["product"], "sha256": sha},
        "counts": counts,
        "counts_consistent": consistent,
        "targets": {
            "at_spec_scale": at_scale,
            "pandas_3x": pandas_ratio >= PANDAS_SPEEDUP_TARGET,
            "within_1_5x_duckdb": duckdb_ratio <= DUCKDB_SLOWDOWN_TARGET,
            "cutoff_change_under_200ms": product["cutoff_change_s"] < CUTOFF_CHANGE_TARGET_S,
            "peak_under_2gib": peak < PEAK_TARGET_BYTES,
        },
    }


def _load_phases(product: dict[str, Any]) -> dict[str, float]:
    """Return the load's seconds per phase, from the loader's progress reports (text -> s)."""
    marks = product["load_progress"]
    if not marks:
        return {}
    ends = [t for t, _f, _text in marks[1:]] + [product["load_s"]]
    phases: dict[str, float] = {}
    for (t, _f, text), end in zip(marks, ends, strict=True):
        phases[text] = phases.get(text, 0.0) + end - t
    return phases


def _load_split(phases: dict[str, float], data: BenchData) -> dict[str, float | None]:
    """Return the users part, the activity part and the rest (saving the snapshot) of the load."""
    if not phases:
        return {"load_users_s": None, "load_activity_s": None, "load_save_s": None}
    users = sum(s for text, s in phases.items() if data.users_csv.name in text)
    activity = sum(s for text, s in phases.items() if data.activity_csv.name in text)
    return {
        "load_users_s": users,
        "load_activity_s": activity,
        "load_save_s": sum(phases.values()) - users - activity,
    }


def _r(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def _mib(size: int) -> float:
    return round(size / MIB, 1)


def format_report(result: dict[str, Any]) -> str:
    """Return the bench result as a plain-text table for a terminal."""
    p, pd_, db, kept = result["product"], result["pandas"], result["duckdb"], result["duckdb_kept"]
    ratios = result["ratios"]

    def s(value: float | None) -> str:
        return "n/a" if value is None else f"{value:8.3f} s"

    repeat = result.get("repeat", 1)
    lines = [
        f"Seat review benchmark: {result['users']:,} accounts, {result['events']:,} activity rows"
        f" (as of {result['as_of']}, cutoff {result['cutoff']}, {result['cpu_count']} CPUs)",
        *(
            [f"  {repeat} interleaved rounds; each job's median run is shown. Whole job per round:"]
            + [
                f"    {job:<26} {'  '.join(f'{t:.3f}' for t in times)} s"
                for job, times in result["runs_job_s"].items()
            ]
            if repeat > 1
            else []
        ),
        f"  {'reuse generated data' if result['data_reused'] else 'generate data':<28} "
        f"{s(result['generate_s'])}",
        "product",
        f"  load users                   {s(p['load_users_s'])}",
        f"  load activity                {s(p['load_activity_s'])}",
        f"  load: save snapshot          {s(p['load_save_s'])}",
        f"  load (whole)                 {s(p['load_s'])}",
        f"  review (90 days)             {s(p['review_s'])}",
        f"  cutoff change, as the app    {s(p['cutoff_change_s'])}",
        f"  cutoff change, bare call     {s(p['cutoff_change_cold_s'])}",
        f"  export                       {s(p['export_s'])}",
        f"  whole job                    {s(p['job_s'])}   peak {p['peak_rss_mib']:,.0f} MiB",
        "pandas script",
        *[
            f"  {k.removesuffix('_s').replace('_', ' '):<28} {s(v)}"
            for k, v in pd_.items()
            if k.endswith("_s") and k != "job_s"
        ],
        f"  whole job                    {s(pd_['job_s'])}   peak {pd_['peak_rss_mib']:,.0f} MiB",
        "bare DuckDB",
        f"  whole job                    {s(db['job_s'])}   peak {db['peak_rss_mib']:,.0f} MiB",
        "bare DuckDB keeping the rows in a file first (no checks; for reference)",
        f"  store                        {s(kept['store_s'])}",
        f"  query                        {s(kept['query_s'])}",
        f"  whole job                    {s(kept['job_s'])}   peak {kept['peak_rss_mib']:,.0f} MiB",
        "ratios",
        f"  pandas / product             {ratios['pandas_over_product']:8.2f}x",
        f"  product / bare DuckDB        {ratios['product_over_duckdb']:8.2f}x",
        f"  bare kept / bare DuckDB      {ratios['duckdb_kept_over_duckdb']:8.2f}x",
        f"  product / bare kept          {ratios['product_over_duckdb_kept']:8.2f}x",
        f"deactivation files identical: {result['deactivation']['identical']}"
        f" ({result['deactivation']['rows']:,} rows); counts consistent: "
        f"{result['counts_consistent']}",
        "targets (SPEC 8, defined at 1M accounts / 10M rows; "
        f"this run {'is' if result['targets']['at_spec_scale'] else 'is not'} at that scale)",
        f"  whole job >= 3x faster than pandas:   {result['targets']['pandas_3x']}",
        f"  within 1.5x of bare DuckDB:           {result['targets']['within_1_5x_duckdb']}",
        f"  cutoff change < 200 ms:               {result['targets']['cutoff_change_under_200ms']}",
        f"  peak memory < 2 GiB:                  {result['targets']['peak_under_2gib']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1:]))
