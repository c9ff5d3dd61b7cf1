"""`review`, `export` and `history` on the command line: printed JSON, files, exports table."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from pathlib import Path

import pytest

from dashboard.cli import main
from dashboard.store import Store
from tests.review_fixtures import account, add_snapshot

AS_OF = date(2026, 3, 31)


def _portal() -> list[dict]:
    return [
        account("ann@example.com", last_sign_in_at="2026-03-30"),
        account("Bob@Example.com", last_sign_in_at="2025-10-01"),
        account("cy@partner.org", created_at="2025-05-01"),
        account("dee@example.com", user_type="admin", last_sign_in_at="2024-02-02"),
        account("eli@example.com", enabled=False),
        account("fox@example.com", groups=["Board"]),
    ]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict | None, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.fixture
def db(store: Store) -> Store:
    add_snapshot(store, _portal(), as_of=AS_OF)
    return store


def test_review_json_prints_the_spec_object(db: Store, capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = _run(
        capsys,
        "review",
        "--db",
        str(db.path),
        "--cutoff",
        "2026-03-01",
        "--seat-limit",
        "10",
        "--json",
    )
    assert code == 0 and data is not None
    assert data["categories"] == {
        "active": 1,
        "inactive": 1,
        "never_signed_in": 2,
        "protected": 1,
        "disabled": 1,
    }
    assert data["flagged"] == 3
    assert data["seats"] == {"used": 5, "disabled": 1, "limit": 10, "utilization": 0.5}
    assert data["after"] == {"used": 2, "utilization": 0.2}
    assert (data["as_of"], data["cutoff"]) == ("2026-03-31", "2026-03-01")


def test_review_protection_options(
    db: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text("# kept\n\n BOB@example.com \n", encoding="utf-8")
    code, data, _ = _run(
        capsys,
        "review",
        "--db",
        str(db.path),
        "--inactive-days",
        "30",
        "--protect-type",
        "none",
        "--protect-domain",
        "partner.org",
        "--protect-group",
        "board",
        "--keep",
        str(keep),
        "--json",
    )
    assert code == 0 and data is not None
    assert data["cutoff"] == "2026-03-01"
    assert data["categories"]["protected"] == 3
    assert data["protected_by"] == {
        "decision": 0,
        "keep_list": 1,
        "user_type": 0,
        "domain": 1,
        "group": 1,
        "grace": 0,
    }
    assert data["flagged"] == 1  # the admin, once 'none' lifted the type protection
    assert data["rules"]["protect_types"] == []
    assert data["rules"]["keep"] == ["bob@example.com"]


def test_review_as_of_moves_a_relative_cutoff(
    db: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data, _ = _run(
        capsys, "review", "--db", str(db.path), "--inactive-days", "1", "--as-of", "2026-04-02"
    )
    assert code == 0 and data is not None
    assert (data["as_of"], data["cutoff"]) == ("2026-04-02", "2026-04-01")
    assert data["categories"]["active"] == 0


def test_review_without_data_exits_2_with_a_message(
    store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, data, err = _run(capsys, "review", "--db", str(store.path), "--json")
    assert (code, data) == (2, None)
    assert "no data loaded yet" in err
    assert "Traceback" not in err


def test_bad_keep_file_exits_2_naming_file_and_row(
    db: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    keep = tmp_path / "keep.txt"
    keep.write_text("ann@example.com;bob@example.com\n", encoding="utf-8")
    code, _, err = _run(capsys, "review", "--db", str(db.path), "--keep", str(keep))
    assert code == 2
    assert "keep.txt row 1" in err


def test_export_writes_files_and_the_audit_entry(
    db: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out, undo, sheet = tmp_path / "off.csv", tmp_path / "on.csv", tmp_path / "sheet.csv"
    code, data, _ = _run(
        capsys,
        "export",
        "--db",
        str(db.path),
        "--cutoff",
        "2026-03-01",
        "--out",
        str(out),
        "--undo-out",
        str(undo),
        "--sheet-out",
        str(sheet),
    )
    assert code == 0 and data is not None
    assert out.read_bytes() == (
        b"email,enabled\r\nBob@Example.com,false\r\ncy@partner.org,false\r\n"
        b"fox@example.com,false\r\n"
    )
    assert undo.read_bytes() == out.read_bytes().replace(b",false\r\n", b",true\r\n")
    rows = list(csv.reader(io.StringIO(sheet.read_bytes().decode("utf-8-sig"), newline="")))
    assert [r[0] for r in rows] == ["Email", "Bob@Example.com", "cy@partner.org", "fox@example.com"]
    with db.read() as cur:
        exported = cur.execute(
            "SELECT snapshot_id, rules, counts, files, actor FROM exports"
        ).fetchall()
    assert len(exported) == 1
    snapshot_id, rules, counts, files, actor = exported[0]
    assert (snapshot_id, actor) == (1, "cli")
    assert json.loads(rules)["cutoff"] == "2026-03-01"
    assert json.loads(counts)["flagged"] == 3
    recorded = {f["name"]: f["sha256"] for f in json.loads(files)}
    assert recorded == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (out, undo, sheet)
    }
    assert data["export_id"] == 1 and data["rows"] == 3

    code, history, _ = _run(capsys, "history", "--db", str(db.path))
    assert code == 0 and history is not None
    assert [h["export_id"] for h in history["exports"]] == [1]


def test_export_with_the_portal_template(
    db: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = tmp_path / "example.csv"
    template.write_bytes(b"Status;Email Address;First Name\r\nTRUE;a@b.c;A\r\n")
    out = tmp_path / "off.csv"
    code, data, _ = _run(
        capsys,
        "export",
        "--db",
        str(db.path),
        "--cutoff",
        "2026-03-01",
        "--out",
        str(out),
        "--template",
        str(template),
    )
    assert code == 0 and data is not None
    assert out.read_bytes() == (
        b"Status;Email Address\r\nFALSE;Bob@Example.com\r\nFALSE;cy@partner.org\r\n"
        b"FALSE;fox@example.com\r\n"
    )
    assert data["profile"]["source"] == "example.csv"


def test_blocked_export_exits_2_and_leaves_no_file_and_no_entry(
    store: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    add_snapshot(store, [*_portal(), account("+plus@example.com")], as_of=AS_OF)
    out = tmp_path / "out" / "off.csv"
    out.parent.mkdir()
    code, data, err = _run(
        capsys, "export", "--db", str(store.path), "--cutoff", "2026-03-01", "--out", str(out)
    )
    assert (code, data) == (2, None)
    assert "pre-flight" in err and "+plus@example.com" in err
    assert list(out.parent.iterdir()) == []
    with store.read() as cur:
        assert cur.execute("SELECT count(*) FROM exports").fetchone()[0] == 0


def test_template_without_the_columns_exits_2(
    db: Store, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    template = tmp_path / "example.csv"
    template.write_bytes(b"first_name,last_name\r\n")
    code, _, err = _run(
        capsys,
        "export",
        "--db",
        str(db.path),
        "--out",
        str(tmp_path / "off.csv"),
        "--template",
        str(template),
    )
    assert code == 2
    assert "example.csv row 1" in err and "no email column" in err
    assert not (tmp_path / "off.csv").exists()
