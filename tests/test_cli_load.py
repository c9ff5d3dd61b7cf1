"""`lu-seats load` through dashboard.cli.main: printed JSON, stored rows, and refusals (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.store import Store

GOOD = (
    "Email,User Type,Enabled,Last Login\n"
    "ann@x.com,Learner,yes,2026-01-05 10:00\n"
    "bob@x.com,Admin,no,\n"
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database already holding one good snapshot, so a refusal has something to keep."""
    users = tmp_path / "first.csv"
    users.write_text(GOOD, encoding="utf-8")
    assert main(["load", "--db", str(tmp_path / "seats.duckdb"), str(users)]) == 0
    return tmp_path / "seats.duckdb"


def test_load_prints_the_contract_json_and_stores_the_rows(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    users = tmp_path / "users.csv"
    users.write_text(GOOD + "cy@x.com,Learner,yes,2025-12-01 09:00\n", encoding="utf-8")
    activity = tmp_path / "logins.csv"
    activity.write_text(
        "Email,Login Date,Course\nANN@x.com,2026-02-01 10:00,Intro\nold@x.com,2026-01-01,Intro\n",
        encoding="utf-8",
    )
    code = main(
        ["load", "--db", str(db), str(users), "--activity", str(activity), "--as-of", "2026-03-01"]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out == {
        "snapshot_id": out["snapshot_id"],
        "users": 3,
        "activity_rows": 2,
        "activity_unmatched": 1,
        "as_of": "2026-03-01",
    }
    store = Store(db)
    assert store.snapshot().snapshot_id == out["snapshot_id"]
    with store.read() as cur:
        rows = cur.execute(
            "SELECT user_key, enabled, last_activity_at::VARCHAR FROM accounts "
            "WHERE snapshot_id = ? ORDER BY user_key",
            [out["snapshot_id"]],
        ).fetchall()
    assert rows == [
        ("ann@x.com", True, "2026-02-01 10:00:00"),
        ("bob@x.com", False, None),
        ("cy@x.com", True, None),
    ]


def test_load_with_map_and_date_order_prints_the_note_on_stderr(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    users = tmp_path / "users.csv"
    users.write_text("Work Mail,State,Joined\nann@x.com,active,03/04/2024\n", encoding="utf-8")
    code = main(
        [
            "load",
            "--db",
            str(db),
            str(users),
            "--map",
            "Work Mail=email",
            "--map",
            "State=enabled",
            "--map",
            "Joined=created_at",
            "--date-order",
            "mdy",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0 and json.loads(captured.out)["users"] == 1
    assert "Joined" in captured.err and "month-first" in captured.err
    with Store(db).read() as cur:
        created = cur.execute(
            "SELECT created_at::DATE::VARCHAR FROM accounts WHERE snapshot_id = "
            "(SELECT max(snapshot_id) FROM snapshots)"
        ).fetchone()
    assert created == ("2024-03-04",)


Bad = Callable[[Path], list[str]]


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _users(text: str) -> Bad:
    return lambda tmp: [str(_file(tmp, "users.csv", text.encode()))]


BAD_INPUTS: dict[str, tuple[Bad, str, int | None, str | None]] = {
    # case: (arguments after --db, file named, row, column)
    "no_identity_column": (_users("Name,Enabled\nAnn,yes\n"), "users.csv", 1, None),
    "duplicate_accounts": (
        _users("Email,Enabled\nann@x.com,yes\nbob@x.com,yes\nANN@X.COM ,no\n"),
        "users.csv",
        4,
        "Email",
    ),
    "empty_file": (_users(""), "users.csv", 1, None),
    "header_only": (_users("Email,Enabled\n"), "users.csv", 2, None),
    "too_many_fields": (
        _users("Email,Enabled\nann@x.com,yes\nbob@x.com,yes,x\n"),
        "users.csv",
        3,
        None,
    ),
    "too_few_fields": (_users("Email,Enabled\nann@x.com,yes\nbob@x.com\n"), "users.csv", 3, None),
    "binary_garbage": (
        lambda tmp: [str(_file(tmp, "users.csv", bytes(range(256)) * 40))],
        "users.csv",
        1,
        None,
    ),
    "unparseable_timestamp": (
        _users("Email,Enabled,Last Login\nann@x.com,yes,2026-13-45\n"),
        "users.csv",
        2,
        "Last Login",
    ),
    "unknown_status": (_users("Email,Enabled\nann@x.com,maybe\n"), "users.csv", 2, "Enabled"),
    "ambiguous_day_month": (
        _users("Email,Enabled,Date Created\nann@x.com,yes,03/04/2024\n"),
        "users.csv",
        2,
        "Date Created",
    ),
    "bad_activity_timestamp": (
        lambda tmp: [
            str(_file(tmp, "users.csv", b"Email,Enabled\nann@x.com,yes\n")),
            "--activity",
            str(
                _file(tmp, "act.csv", b"Email,Login Date\nann@x.com,2026-01-01\nann@x.com,later\n")
            ),
        ],
        "act.csv",
        3,
        "Login Date",
    ),
    "mapping_unknown_field": (
        lambda tmp: [
            str(_file(tmp, "users.csv", b"Email,Enabled\nann@x.com,yes\n")),
            "--map",
            "Email=e_mail",
        ],
        "--map",
        None,
        None,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exits_2_naming_file_row_and_column_and_changes_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    args, file, row, column = BAD_INPUTS[case]
    argv = ["load", "--db", str(db), *args(tmp_path)]
    before = Store(db).table_checksums()
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.startswith(f"error: {file}")
    if row is not None:
        assert f" row {row}" in captured.err
    if column is not None:
        assert f"column '{column}'" in captured.err
    assert "Traceback" not in captured.err
    assert Store(db).table_checksums() == before
