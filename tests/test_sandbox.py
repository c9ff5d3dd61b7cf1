"""The SQL sandbox: one SELECT at a time on an in-memory copy, nothing else, ever.

Every escape attempt must be refused with a reason, and must leave no trace: no file written, no
setting changed, no table changed, the product's database file byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from dashboard.cli import main
from dashboard.errors import NoData, QueryRefused
from dashboard.sandbox import (
    ACTIVITY_KEY_COLUMN,
    SANDBOX_TABLES,
    Sandbox,
    example_queries,
    run_query,
    sandbox_schema,
)
from dashboard.store import Snapshot, Store

# -- data ------------------------------------------------------------------------------------


def _snapshot(store: Store, as_of: date, accounts: list[tuple], activity: list[tuple]) -> int:
    """Write one snapshot with the given account and activity rows; return its id."""
    with store.write() as cur:
        sid = store.next_snapshot_id(cur)
        store.insert_snapshot(
            cur,
            Snapshot(
                sid,
                "csv",
                "users.csv",
                [{"name": "users.csv", "kind": "users", "sha256": "0" * 64, "rows": 1}],
                as_of,
                datetime(2026, 11, 1, 9, 30),
                "email",
                len(accounts),
                len(activity),
                sum(1 for a in activity if a[0] is None),
                False,
            ),
        )
        number = {}
        for no, (key, email, first, utype, enabled, created, last, groups) in enumerate(
            accounts, start=1
        ):
            number[key] = no
            cur.execute(
                "INSERT INTO accounts (snapshot_id, account_no, user_key, email, first_name, "
                "user_type, enabled, created_at, last_sign_in_at, groups) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [sid, no, key, email, first, utype, enabled, created, last, groups],
            )
        for key, identity, at, extra in activity:
            cur.execute(
                "INSERT INTO activity (snapshot_id, file_no, account_no, identity, activity_at, "
                "extra) VALUES (?, 1, ?, ?, ?, ?)",
                [sid, number.get(key), identity, at, extra],
            )
    return sid


ACCOUNTS = [
    (
        "ann@example.com",
        "Ann@Example.com",
        "Ann",
        "admin",
        True,
        datetime(2024, 1, 5),
        datetime(2026, 10, 1, 8, 0),
        ["Sales", "EMEA"],
    ),
    (
        "bob@example.com",
        "bob@example.com",
        '=HYPERLINK("x")',
        "learner",
        True,
        datetime(2024, 2, 1),
        None,
        [],
    ),
    (
        "cy@example.com",
        "cy@example.com",
        "Cy",
        "learner",
        False,
        datetime(2023, 5, 1),
        datetime(2025, 1, 2, 12, 0),
        ["Sales"],
    ),
    (
        "di@example.com",
        "di@example.com",
        "Di",
        "manager",
        True,
        datetime(2022, 3, 3),
        datetime(2025, 6, 30, 23, 59),
        None,
    ),
]
ACTIVITY = [
    ("ann@example.com", "ann@example.com", datetime(2026, 10, 2, 9, 0), {"Course": "Safety"}),
    ("ann@example.com", "ANN@example.com", datetime(2026, 9, 2, 9, 0), {"Course": "Onboarding"}),
    ("di@example.com", "di@example.com", datetime(2025, 7, 1, 10, 0), {}),
    (None, "ghost@example.com", datetime(2026, 1, 1, 0, 0), None),
]


@pytest.fixture
def loaded(store: Store) -> Store:
    """A store with an old snapshot (one account) and a current one (ACCOUNTS, ACTIVITY)."""
    _snapshot(
        store,
        date(2026, 1, 1),
        [("old@example.com", "old@example.com", "Old", "learner", True, None, None, [])],
        [],
    )
    _snapshot(store, date(2026, 11, 1), ACCOUNTS, ACTIVITY)
    with store.write() as cur:
        cur.execute(
            "INSERT INTO decisions VALUES ('bob@example.com', 'keep', 'new starter', ?)",
            [datetime(2026, 11, 2)],
        )
        cur.execute(
            "INSERT INTO exports VALUES (1, ?, 2, '{}', '{\"flagged\": 1}', '[]', 'cli')",
            [datetime(2026, 11, 3)],
        )
    return store


@pytest.fixture
def sandbox(loaded: Store) -> Sandbox:
    box = Sandbox.build(loaded)
    yield box
    box.close()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _state(box: Sandbox) -> dict[str, object]:
    """Everything a query could have changed inside the sandbox: settings, catalog, rows."""
    settings = box.run("SELECT name, value FROM duckdb_settings() ORDER BY name").frame
    catalog = box.run(
        "SELECT database_name, schema_name, table_name FROM duckdb_tables() "
        "UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views() "
        "WHERE NOT internal UNION ALL SELECT database_name, schema_name, function_name "
        "FROM duckdb_functions() WHERE NOT internal ORDER BY ALL"
    ).frame
    rows = {
        t: box.run(f"SELECT count(*) AS n, sum(hash(t::VARCHAR)) AS h FROM {t} t").frame.to_dict()
        for t in SANDBOX_TABLES
    }
    databases = box.run("SELECT database_name FROM duckdb_databases() ORDER BY 1").frame
    return {
        "settings": settings.to_dict("records"),
        "catalog": catalog.to_dict("records"),
        "rows": rows,
        "databases": databases.to_dict("records"),
    }


# -- escape attempts -------------------------------------------------------------------------

FILES = "cannot read or write files, reach the network or load extensions"
SETTINGS = "change settings"

# (id, query with {tmp} for the test's directory and {db} for the product's file, reason)
ESCAPES = [
    ("read_csv", "SELECT * FROM read_csv('/etc/passwd')", FILES),
    ("read_csv_own_dir", "SELECT * FROM read_csv('{tmp}/secret.csv')", FILES),
    ("read_csv_auto", "SELECT * FROM read_csv_auto('{tmp}/secret.csv')", FILES),
    ("read_text", "SELECT * FROM read_text('/etc/passwd')", FILES),
    ("read_blob", "SELECT content FROM read_blob('/etc/hostname')", FILES),
    ("glob", "SELECT * FROM glob('*')", FILES),
    ("glob_tmp", "SELECT * FROM glob('{tmp}/*')", FILES),
    ("read_parquet", "SELECT * FROM read_parquet('{tmp}/secret.parquet')", FILES),
    ("parquet_scan", "SELECT * FROM parquet_scan('{tmp}/secret.parquet')", FILES),
    ("read_json", "SELECT * FROM read_json('{tmp}/secret.json')", FILES),
    ("read_ndjson", "SELECT * FROM read_ndjson_auto('{tmp}/secret.json')", FILES),
    ("sniff_csv", "SELECT * FROM sniff_csv('{tmp}/secret.csv')", FILES),
    ("from_file_literal", "FROM '/etc/passwd'", FILES),
    ("from_csv_literal", "SELECT * FROM '{tmp}/secret.csv'", FILES),
    ("https_url", "SELECT * FROM 'https://example.com/users.csv'", FILES),
    ("read_csv_https", "SELECT * FROM read_csv('https://example.com/users.csv')", FILES),
    ("read_parquet_s3", "SELECT * FROM read_parquet('s3://bucket/users.parquet')", FILES),
    ("copy_to", "COPY accounts TO '{tmp}/out/accounts.csv'", "COPY reads or writes files"),
    (
        "copy_query_to",
        "COPY (SELECT * FROM accounts) TO '{tmp}/out/a.parquet' (FORMAT parquet)",
        "COPY reads or writes files",
    ),
    ("copy_from", "COPY accounts FROM '{tmp}/secret.csv'", "COPY reads or writes files"),
    ("export_database", "EXPORT DATABASE '{tmp}/out/dump'", "EXPORT DATABASE writes files"),
    ("attach_product", "ATTACH '{db}' AS product", "ATTACH opens other databases"),
    ("attach_product_ro", "ATTACH '{db}' AS product (READ_ONLY)", "ATTACH opens other databases"),
    ("attach_new_file", "ATTACH '{tmp}/out/new.duckdb' AS n", "ATTACH opens other databases"),
    ("attach_memory", "ATTACH ':memory:' AS scratch", "ATTACH opens other databases"),
    ("detach", "DETACH memory", "DETACH closes databases"),
    ("install_httpfs", "INSTALL httpfs", "INSTALL and LOAD add extensions"),
    ("load_httpfs", "LOAD httpfs", "INSTALL and LOAD add extensions"),
    ("force_install", "FORCE INSTALL httpfs FROM core", "INSTALL and LOAD add extensions"),
    ("update_extensions", "UPDATE EXTENSIONS", "only a single SELECT"),
    ("set_external_access", "SET enable_external_access = true", SETTINGS),
    ("set_global_external", "SET GLOBAL enable_external_access = true", SETTINGS),
    ("reset_external_access", "RESET enable_external_access", SETTINGS),
    ("unlock_configuration", "SET lock_configuration = false", SETTINGS),
    ("set_memory_limit", "SET memory_limit = '100GB'", SETTINGS),
    ("set_temp_directory", "SET temp_directory = '{tmp}/out'", SETTINGS),
    ("pragma_set", "PRAGMA enable_external_access = true", SETTINGS),
    ("pragma", "PRAGMA enable_profiling", "PRAGMA"),
    (
        "set_config_function",
        "SELECT set_config('enable_external_access', 'true', false)",
        "set_config does not exist",
    ),
    ("getenv", "SELECT getenv('HOME')", "getenv does not exist"),
    (
        "logging_to_a_file",
        "SELECT * FROM enable_logging(storage = 'file', storage_path = '{tmp}/out/log')",
        "settings cannot be changed",
    ),
    ("profiling_function", "SELECT * FROM enable_profiling()", "settings cannot be changed"),
    ("parquet_metadata", "SELECT * FROM parquet_metadata('{tmp}/secret.parquet')", FILES),
    ("use", "USE system", SETTINGS),
    ("set_variable", "SET VARIABLE home = '/root'", SETTINGS),
    ("create_table", "CREATE TABLE stolen AS SELECT * FROM accounts", "CREATE makes"),
    ("create_view", "CREATE VIEW v AS SELECT 1", "CREATE makes"),
    ("create_macro", "CREATE MACRO m(x) AS x + 1", "CREATE makes"),
    ("create_temp_table", "CREATE TEMP TABLE t AS SELECT 1", "CREATE makes"),
    ("create_secret", "CREATE SECRET s3 (TYPE s3, KEY_ID 'k', SECRET 's')", "CREATE makes"),
    (
        "create_persistent_secret",
        "CREATE PERSISTENT SECRET p (TYPE s3, KEY_ID 'k', SECRET 's')",
        "CREATE makes",
    ),
    ("insert", "INSERT INTO decisions VALUES ('x', 'keep', NULL, now())", "INSERT changes data"),
    ("update", "UPDATE accounts SET enabled = false", "UPDATE changes data"),
    ("delete", "DELETE FROM accounts", "DELETE changes data"),
    (
        "merge",
        "MERGE INTO decisions USING decisions d2 ON true WHEN MATCHED THEN DELETE",
        "MERGE changes data",
    ),
    ("drop", "DROP TABLE accounts", "DROP removes tables"),
    ("alter", "ALTER TABLE accounts RENAME TO gone", "ALTER changes tables"),
    ("comment_on", "COMMENT ON TABLE accounts IS 'x'", "ALTER changes tables"),
    ("call", "CALL pragma_version()", "CALL and CHECKPOINT"),
    ("checkpoint", "CHECKPOINT", "CALL and CHECKPOINT"),
    ("force_checkpoint", "FORCE CHECKPOINT", "CALL and CHECKPOINT"),
    ("vacuum", "VACUUM", "VACUUM and ANALYZE"),
    ("begin", "BEGIN TRANSACTION", "transaction statements"),
    ("commit", "COMMIT", "transaction statements"),
    ("prepare", "PREPARE p AS SELECT 1", "prepared statements"),
    ("two_statements", "SELECT 1; DROP TABLE accounts", "2 statements"),
    ("select_then_copy", "SELECT 1; COPY accounts TO '{tmp}/out/x.csv'", "2 statements"),
    ("three_selects", "SELECT 1; SELECT 2; SELECT 3", "3 statements"),
    (
        "comment_hidden_copy",
        "/* just a read */ COPY accounts TO '{tmp}/out/c.csv' -- ok",
        "COPY reads or writes files",
    ),
    ("explain_copy", "EXPLAIN ANALYZE COPY accounts TO '{tmp}/out/e.csv'", "EXPLAIN"),
    ("explain_attach", "EXPLAIN ATTACH '{db}' AS p", "EXPLAIN"),
    (
        "query_function_copy",
        "SELECT * FROM query('COPY accounts TO ''{tmp}/out/q.csv''')",
        "single SELECT",
    ),
    ("query_function_create", "FROM query('CREATE TABLE q AS SELECT 1')", "single SELECT"),
    ("python_variable", "SELECT * FROM sandbox", "does not exist"),
    ("pivot_without_values", "PIVOT accounts ON user_type USING count(*)", "name the values"),
    ("comments_only", "-- nothing here", "no statement"),
    ("empty", "   ", "empty"),
]


@pytest.fixture
def bait(tmp_path: Path) -> Path:
    """Real files an escape would read, next to an `out/` directory one would write into."""
    (tmp_path / "out").mkdir()
    (tmp_path / "secret.csv").write_text("password\nhunter2\n", encoding="utf-8")
    (tmp_path / "secret.json").write_text('{"password": "hunter2"}\n', encoding="utf-8")
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT 'hunter2' AS password) TO '{tmp_path / 'secret.parquet'}'")
    return tmp_path


def test_there_are_enough_escape_attempts() -> None:
    assert len(ESCAPES) >= 25
    assert len({case[0] for case in ESCAPES}) == len(ESCAPES)


@pytest.mark.parametrize(("query", "reason"), [c[1:] for c in ESCAPES], ids=[c[0] for c in ESCAPES])
def test_escape_attempt_is_refused_and_changes_nothing(
    loaded: Store, sandbox: Sandbox, bait: Path, query: str, reason: str
) -> None:
    text = query.format(tmp=bait, db=loaded.path)
    files_before = _files(bait)
    db_before = _sha256(loaded.path)
    state_before = _state(sandbox)

    with pytest.raises(QueryRefused) as refused:
        sandbox.run(text)

    message = str(refused.value)
    assert reason in message
    assert "Traceback" not in message
    assert _files(bait) == files_before
    assert list((bait / "out").iterdir()) == []
    assert _state(sandbox) == state_before
    assert _sha256(loaded.path) == db_before
    # The sandbox still answers after the refusal.
    assert sandbox.run("SELECT count(*) AS n FROM accounts").frame["n"].tolist() == [len(ACCOUNTS)]


def test_the_database_refuses_file_access_even_past_the_statement_check(
    loaded: Store, sandbox: Sandbox, bait: Path
) -> None:
    """The parser check is the first wall; DuckDB's own lock-down is the second."""
    cur = sandbox._con.cursor()
    try:
        attempts = [
            f"COPY accounts TO '{bait}/out/x.csv'",
            f"ATTACH '{loaded.path}' AS product",
            f"EXPORT DATABASE '{bait}/out/dump'",
            "INSTALL httpfs",
            "LOAD httpfs",
        ]
        for attempt in attempts:
            with pytest.raises(duckdb.PermissionException):
                cur.execute(attempt)
        for attempt in ["SET enable_external_access = true", "SET lock_configuration = false"]:
            with pytest.raises(duckdb.InvalidInputException, match="locked"):
                cur.execute(attempt)
        value = cur.execute("SELECT current_setting('enable_external_access')").fetchone()[0]
        assert value is False
    finally:
        cur.close()
    assert list((bait / "out").iterdir()) == []


def test_lock_down_settings_are_in_force(sandbox: Sandbox) -> None:
    rows = sandbox.run(
        "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
        "'lock_configuration', 'autoload_known_extensions', 'autoinstall_known_extensions', "
        "'allow_community_extensions', 'temp_directory', 'python_enable_replacements')"
    ).frame
    settings = dict(zip(rows["name"], rows["value"], strict=True))
    assert settings == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoload_known_extensions": "false",
        "autoinstall_known_extensions": "false",
        "allow_community_extensions": "false",
        "temp_directory": "",
        "python_enable_replacements": "false",
    }
    databases = sandbox.run("SELECT path FROM duckdb_databases() WHERE path IS NOT NULL").frame
    assert databases.empty  # in memory: nothing on disk, and the product's path is not known


def test_product_file_is_byte_identical_after_every_attempt(loaded: Store, bait: Path) -> None:
    before = _sha256(loaded.path)
    listing = _files(loaded.path.parent)
    refused = 0
    box = Sandbox.build(loaded)
    try:
        for _, query, _ in ESCAPES:
            text = query.format(tmp=bait, db=loaded.path)
            for attempt in (lambda q=text: box.run(q), lambda q=text: run_query(loaded, q)):
                with pytest.raises(QueryRefused):
                    attempt()
                refused += 1
    finally:
        box.close()
    assert refused == 2 * len(ESCAPES)
    assert _sha256(loaded.path) == before
    assert _files(loaded.path.parent) == listing  # no WAL, no dump, no new database


# -- time limit and row cap ------------------------------------------------------------------


def test_runaway_query_is_stopped_at_the_time_limit(sandbox: Sandbox) -> None:
    runaway = (
        "SELECT count(*) FROM range(100000000) a, range(100000000) b WHERE a.range * b.range = -1"
    )
    with pytest.raises(QueryRefused) as refused:
        sandbox.run(runaway, timeout_s=0.5)
    message = str(refused.value)
    assert "stopped after 0.5 s" in message
    assert "WHERE" in message and "LIMIT" in message
    result = sandbox.run("SELECT 42 AS answer", timeout_s=0.5)
    assert result.frame["answer"].tolist() == [42]


def test_time_limit_covers_fetching_a_streamed_result(sandbox: Sandbox) -> None:
    # Rows come out at once; the limit must still hold while the rest are produced.
    slow = "SELECT a.range FROM range(20000) a, range(20000) b WHERE (a.range + b.range) % 7 = 0"
    with pytest.raises(QueryRefused, match=r"stopped after 0\.3 s"):
        sandbox.run(slow, timeout_s=0.3, max_rows=10**9)


def test_result_is_capped_and_says_so(sandbox: Sandbox) -> None:
    result = sandbox.run("SELECT range AS n FROM range(250000)", max_rows=100_000)
    assert result.truncated
    assert result.row_count == 100_000
    assert len(result.frame) == 100_000
    assert result.frame["n"].iloc[-1] == 99_999
    assert "cut at 100,000 rows" in result.note()


def test_result_exactly_at_the_cap_is_not_truncated(sandbox: Sandbox) -> None:
    result = sandbox.run("SELECT range AS n FROM range(10)", max_rows=10)
    assert not result.truncated
    assert result.row_count == 10
    assert "cut" not in result.note()


# -- what a reviewer can read ----------------------------------------------------------------


def test_sandbox_holds_the_latest_snapshot_by_default(loaded: Store, sandbox: Sandbox) -> None:
    latest = loaded.snapshot().snapshot_id
    assert sandbox.snapshot_id == latest
    frame = sandbox.run("SELECT DISTINCT snapshot_id FROM accounts").frame
    assert frame["snapshot_id"].tolist() == [latest]
    keys = sandbox.run("SELECT user_key FROM accounts ORDER BY user_key").frame
    assert keys["user_key"].tolist() == sorted(a[0] for a in ACCOUNTS)
    assert sandbox.run("SELECT count(*) AS n FROM activity").frame["n"].tolist() == [len(ACTIVITY)]
    assert sandbox.run("SELECT count(*) AS n FROM snapshots").frame["n"].tolist() == [2]
    decisions = sandbox.run("SELECT user_key, decision FROM decisions").frame
    assert decisions.to_dict("records") == [{"user_key": "bob@example.com", "decision": "keep"}]
    exports = sandbox.run("SELECT export_id, actor FROM exports").frame
    assert exports.to_dict("records") == [{"export_id": 1, "actor": "cli"}]


def test_sandbox_can_hold_an_older_snapshot(loaded: Store) -> None:
    first = loaded.snapshots()[-1].snapshot_id
    box = Sandbox.build(loaded, snapshot_id=first)
    try:
        keys = box.run("SELECT user_key FROM accounts").frame["user_key"].tolist()
    finally:
        box.close()
    assert keys == ["old@example.com"]


def test_unknown_snapshot_is_no_data(loaded: Store) -> None:
    with pytest.raises(NoData, match="no snapshot #99"):
        Sandbox.build(loaded, snapshot_id=99)


def test_empty_store_gives_empty_tables(store: Store) -> None:
    result = run_query(store, "SELECT count(*) AS n FROM accounts")
    assert result.frame["n"].tolist() == [0]


def test_schema_lists_every_table_with_the_products_types(loaded: Store, sandbox: Sandbox) -> None:
    schema = sandbox_schema(loaded)
    assert sandbox.schema() == schema
    # The product stores activity's account as a number; the sandbox adds its key.
    assert ACTIVITY_KEY_COLUMN in schema
    assert [t for t in SANDBOX_TABLES if any(row[0] == t for row in schema)] == list(SANDBOX_TABLES)
    types = {(t, c): d for t, c, d in schema}
    assert types[("accounts", "groups")] == "VARCHAR[]"
    assert types[("accounts", "enabled")] == "BOOLEAN"
    assert types[("activity", "extra")] == "JSON"
    with loaded.read() as cur:
        product = cur.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
            "AND table_name IN ('accounts', 'activity', 'snapshots', 'exports', 'decisions')"
        ).fetchone()[0]
    assert len(schema) == product + 1
    assert not any(row[0] == "settings" for row in schema)


def test_no_setting_shows_a_path_of_the_server(loaded: Store, sandbox: Sandbox) -> None:
    settings = sandbox.run("SELECT name, value FROM duckdb_settings()").table.to_pylist()
    home, product = str(Path.home()), str(loaded.path.parent)
    shown = [s for s in settings if s["value"] and (home in s["value"] or product in s["value"])]
    assert shown == []


def test_settings_table_is_not_in_the_sandbox(sandbox: Sandbox) -> None:
    with pytest.raises(QueryRefused, match="does not exist"):
        sandbox.run("SELECT * FROM settings")


def test_example_queries_run_and_answer(sandbox: Sandbox) -> None:
    examples = example_queries()
    assert len(examples) >= 4
    for title, query in examples:
        assert title and not title.startswith("--")
        sandbox.run(query)
    by_type = sandbox.run(dict(examples)["Accounts by user type and status"]).frame
    learners = by_type.set_index("user_type").loc["learner"]
    assert (learners["enabled"], learners["disabled"], learners["accounts"]) == (1, 1, 2)
    never = sandbox.run(dict(examples)["Enabled accounts that never signed in, by group"]).frame
    assert never.to_dict("records") == [{"group": "(no group)", "never_signed_in": 1}]
    columns = sandbox.run(dict(examples)["What the activity reports' other columns hold"]).table
    assert {"file_no": 1, "other_columns": ["Course"], "rows": 2} in [
        {k: r[k] for k in ("file_no", "other_columns", "rows")} for r in columns.to_pylist()
    ]


def test_read_only_forms_are_allowed(sandbox: Sandbox) -> None:
    allowed = {
        "WITH t AS (SELECT 1 AS x) SELECT x FROM t": 1,
        "VALUES (1), (2)": 2,
        "FROM accounts": len(ACCOUNTS),
        "TABLE decisions": 1,
        "DESCRIBE accounts": None,
        "SUMMARIZE accounts": None,
        "EXPLAIN SELECT * FROM accounts": None,
        "PIVOT (SELECT user_type FROM accounts) ON user_type IN ('admin', 'learner') "
        "USING count(*)": 1,
        "SELECT 1;": 1,
    }
    for query, rows in allowed.items():
        result = sandbox.run(query)
        if rows is not None:
            assert result.row_count == rows, query


def test_concurrent_queries_each_get_their_own_answer(sandbox: Sandbox) -> None:
    answers: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def ask(n: int) -> None:
        try:
            frame = sandbox.run(f"SELECT count(*) + {n} AS v FROM activity, range({n + 1})").frame
            answers[n] = frame["v"].tolist()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert answers == {n: [len(ACTIVITY) * (n + 1) + n] for n in range(8)}


# -- output formats --------------------------------------------------------------------------


def test_json_output_keeps_types_readable(sandbox: Sandbox) -> None:
    result = sandbox.run(
        "SELECT user_key, groups, created_at, enabled FROM accounts "
        "WHERE user_key = 'ann@example.com'"
    )
    payload = json.loads(result.to_json())
    assert [c["name"] for c in payload["columns"]] == [
        "user_key",
        "groups",
        "created_at",
        "enabled",
    ]
    assert payload["rows"] == [
        {
            "user_key": "ann@example.com",
            "groups": ["Sales", "EMEA"],
            "created_at": "2024-01-05T00:00:00",
            "enabled": True,
        }
    ]
    assert payload["row_count"] == 1
    assert payload["truncated"] is False


def test_csv_output_writes_nested_values_as_json(sandbox: Sandbox) -> None:
    result = sandbox.run(
        "SELECT user_key, extra, [activity_at::DATE] AS days FROM activity "
        "WHERE user_key = 'ann@example.com' ORDER BY activity_at DESC LIMIT 1"
    )
    lines = result.to_csv().splitlines()
    assert lines == [
        "user_key,extra,days",
        'ann@example.com,"{""Course"":""Safety""}","[""2026-10-02""]"',
    ]


def test_the_reports_other_columns_are_read_with_json_operators(sandbox: Sandbox) -> None:
    """The locked sandbox loads no extension: the JSON functions are built in."""
    result = sandbox.run(
        "SELECT extra->>'Course' AS course, count(*) AS n FROM activity GROUP BY ALL ORDER BY 1"
    )
    assert result.table.to_pylist() == [
        {"course": "Onboarding", "n": 1},
        {"course": "Safety", "n": 1},
        {"course": None, "n": 2},  # a row without the column, and one with no other columns
    ]


def test_spreadsheet_safe_csv_neutralises_formulas(sandbox: Sandbox) -> None:
    result = sandbox.run("SELECT first_name FROM accounts WHERE user_key = 'bob@example.com'")
    assert result.to_csv().splitlines()[1] == '"=HYPERLINK(""x"")"'
    assert result.to_csv(spreadsheet_safe=True).splitlines()[1] == '"\'=HYPERLINK(""x"")"'


def test_sql_error_is_a_clear_refusal(sandbox: Sandbox) -> None:
    with pytest.raises(QueryRefused, match="not valid SQL"):
        sandbox.run("SELEC 1")
    with pytest.raises(QueryRefused, match="The sandbox has the tables: accounts"):
        sandbox.run("SELECT * FROM acounts")


# -- command line ----------------------------------------------------------------------------


def test_cli_sql_prints_csv(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "sql",
            "--db",
            str(loaded.path),
            "SELECT user_type, count(*) AS n FROM accounts GROUP BY 1 ORDER BY 1",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    assert out.out.splitlines() == ["user_type,n", "admin,1", "learner,2", "manager,1"]


def test_cli_sql_prints_json(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "sql",
            "--db",
            str(loaded.path),
            "--format",
            "json",
            "SELECT a.user_key, count(*) AS events FROM activity a "
            "WHERE a.user_key IS NOT NULL GROUP BY 1 ORDER BY 1",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    payload = json.loads(out.out)
    assert payload["rows"] == [
        {"user_key": "ann@example.com", "events": 2},
        {"user_key": "di@example.com", "events": 1},
    ]


def test_cli_sql_reads_an_older_snapshot(loaded: Store, capsys: pytest.CaptureFixture[str]) -> None:
    first = loaded.snapshots()[-1].snapshot_id
    code = main(
        ["sql", "--db", str(loaded.path), "--snapshot", str(first), "SELECT user_key FROM accounts"]
    )
    assert code == 0
    assert capsys.readouterr().out.splitlines() == ["user_key", "old@example.com"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("DELETE FROM accounts", "DELETE changes data"),
        ("SELECT * FROM read_csv('/etc/passwd')", FILES),
        ("SELECT 1; SELECT 2", "2 statements"),
    ],
)
def test_cli_refused_query_exits_2_with_the_reason(
    loaded: Store, capsys: pytest.CaptureFixture[str], query: str, reason: str
) -> None:
    before = loaded.table_checksums()
    digest = _sha256(loaded.path)
    code = main(["sql", "--db", str(loaded.path), query])
    out = capsys.readouterr()
    assert code == 2
    assert out.out == ""
    assert reason in out.err
    assert out.err.startswith("error: ")
    assert "Traceback" not in out.err
    assert loaded.table_checksums() == before
    assert _sha256(loaded.path) == digest
