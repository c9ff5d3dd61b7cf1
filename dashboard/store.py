"""The DuckDB store: short-lived connections, one transaction per write, snapshots and settings.

Connections are opened per use and closed straight after, because DuckDB lets only one process
hold a database file for writing: the app, the CLI and a scheduler must be able to take turns.
Within one process DuckDB shares the open database instance between connections to the same
path, so concurrent browser sessions cost one instance, not one each.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from dashboard.errors import DatabaseBusy, NoData

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "seats.duckdb"
LOCK_WAIT_SECONDS = 30.0


def default_db_path() -> Path:
    """Return the database path: `LU_SEATS_DB` when set, else `data/seats.duckdb` in the project."""
    env = os.environ.get("LU_SEATS_DB")
    return Path(env) if env else DEFAULT_DB


def sql(name: str) -> str:
    """Return the text of `dashboard/sql/NAME.sql`."""
    return resources.files("dashboard.sql").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def quote_ident(name: str) -> str:
    """Return `name` quoted as a DuckDB identifier (the one place identifiers are quoted)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Snapshot:
    """One successful load, as recorded in the `snapshots` table."""

    snapshot_id: int
    source: str
    label: str | None
    files: list[dict[str, Any]]
    as_of: date
    loaded_at: datetime
    identity: str
    users: int
    activity_rows: int
    activity_unmatched: int
    is_demo: bool

    def freshness(self) -> str:
        """Return the one-line 'data as of' text shown next to every figure."""
        what = "demo portal" if self.is_demo else (self.label or self.source)
        return (
            f"Data as of {self.as_of.isoformat()} · snapshot #{self.snapshot_id} ({what}, "
            f"{self.source}) · loaded {self.loaded_at:%Y-%m-%d %H:%M} UTC"
        )


_SNAPSHOT_COLUMNS = (
    "snapshot_id, source, label, files, as_of, loaded_at, identity, users, "
    "activity_rows, activity_unmatched, is_demo"
)


def _snapshot(row: tuple) -> Snapshot:
    values = list(row)
    values[3] = json.loads(values[3])
    return Snapshot(*values)


def _migrate(con: duckdb.DuckDBPyConnection) -> None:
    """Bring a database written by an earlier version to the current schema, in one transaction."""
    by_key = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'activity' AND column_name = 'user_key'"
    ).fetchone()[0]
    if by_key:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql("migrate_account_no").format(schema=sql("schema")))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise


class Store:
    """A DuckDB database file and the narrow set of operations the use cases need."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        # The schema is idempotent but costs a round of catalog work; once per Store is enough
        # (the app caches one Store, the CLI makes one per command).
        self._schema_ready = False

    # -- connections --------------------------------------------------------------------------

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a connection (schema ensured), waiting while another process holds the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        delay = 0.02
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    if "lock" in str(exc).lower():
                        raise DatabaseBusy(
                            f"{self.path.name}: another program has held the database for "
                            f"{LOCK_WAIT_SECONDS:.0f} s; wait for it to finish and try again"
                        ) from None
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            if not self._schema_ready:
                con.execute(sql("schema"))
                _migrate(con)
                self._schema_ready = True
            yield con
        finally:
            con.close()

    @contextmanager
    def read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor for reading."""
        with self.connect() as con:
            cur = con.cursor()
            try:
                yield cur
            finally:
                cur.close()

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """Yield a cursor inside one transaction: committed on success, rolled back on any error."""
        with self.connect() as con:
            cur = con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            finally:
                cur.close()

    # -- snapshots ----------------------------------------------------------------------------

    @staticmethod
    def next_snapshot_id(cur: duckdb.DuckDBPyConnection) -> int:
        """Return a fresh snapshot id (inside the caller's transaction)."""
        return int(cur.execute("SELECT nextval('snapshot_ids')").fetchone()[0])

    @staticmethod
    def insert_snapshot(cur: duckdb.DuckDBPyConnection, snap: Snapshot) -> None:
        """Record `snap` in the snapshots table (inside the caller's transaction)."""
        cur.execute(
            f"INSERT INTO snapshots ({_SNAPSHOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                snap.snapshot_id,
                snap.source,
                snap.label,
                json.dumps(snap.files),
                snap.as_of,
                snap.loaded_at,
                snap.identity,
                snap.users,
                snap.activity_rows,
                snap.activity_unmatched,
                snap.is_demo,
            ],
        )

    def snapshots(self) -> list[Snapshot]:
        """Return every snapshot, newest first."""
        with self.read() as cur:
            rows = cur.execute(
                f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshots ORDER BY snapshot_id DESC"
            ).fetchall()
        return [_snapshot(r) for r in rows]

    def snapshot(self, snapshot_id: int | None = None) -> Snapshot:
        """Return the snapshot with that id, or the latest one when `snapshot_id` is None."""
        with self.read() as cur:
            if snapshot_id is None:
                row = cur.execute(
                    f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshots ORDER BY snapshot_id DESC LIMIT 1"
                ).fetchone()
            else:
                row = cur.execute(
                    f"SELECT {_SNAPSHOT_COLUMNS} FROM snapshots WHERE snapshot_id = ?",
                    [snapshot_id],
                ).fetchone()
        if row is None:
            if snapshot_id is None:
                raise NoData(
                    f"{self.path.name}: no data loaded yet; load a users report "
                    "(lu-seats load USERS.csv), sync from the API, or run lu-seats demo"
                )
            raise NoData(
                f"{self.path.name}: there is no snapshot #{snapshot_id}; see the snapshot list"
            )
        return _snapshot(row)

    def is_empty(self) -> bool:
        """Return True when no snapshot has been loaded yet."""
        with self.read() as cur:
            return cur.execute("SELECT count(*) FROM snapshots").fetchone()[0] == 0

    # -- settings -----------------------------------------------------------------------------

    def get_setting(self, key: str, default: Any = None) -> Any:
        """Return the JSON-decoded value of setting `key`, or `default`."""
        with self.read() as cur:
            row = cur.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return default if row is None else json.loads(row[0])

    def set_setting(self, key: str, value: Any) -> None:
        """Store `value` (JSON-encodable) under `key`."""
        with self.write() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                [key, json.dumps(value, default=str)],
            )

    def table_checksums(self) -> dict[str, str]:
        """Return an order-independent checksum per table (proves a refusal changed nothing)."""
        out: dict[str, str] = {}
        with self.read() as cur:
            tables = [
                r[0]
                for r in cur.execute(
                    "SELECT table_name FROM duckdb_tables()"
                    " WHERE database_name = current_database() ORDER BY table_name"
                ).fetchall()
            ]
            for name in tables:
                q = quote_ident(name)
                row = cur.execute(
                    f"SELECT count(*), coalesce(sum(hash(t::VARCHAR)), 0)::VARCHAR FROM {q} t"
                ).fetchone()
                out[name] = f"{row[0]}:{row[1]}"
            out["snapshot_ids"] = str(
                cur.execute("SELECT coalesce(max(snapshot_id), 0) FROM snapshots").fetchone()[0]
            )
        return out
