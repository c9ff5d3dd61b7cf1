"""Bad-input corpus: every file in tests/corpus/ through the CLI and through the upload use case.

The expectations live in tests/corpus/manifest.json (written by tests/corpus/make_corpus.py):
per file, whether it loads or is refused, and for a refusal the row, column and key phrase that
the message must carry. Each case runs on a database that already holds a snapshot, and a refusal
must leave that database exactly as it was.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dashboard.cli import main
from dashboard.errors import InputRefused
from dashboard.store import Store
from tests.conftest import ROOT, TESTS

CORPUS = TESTS / "corpus"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
CASES: list[dict[str, Any]] = MANIFEST["cases"]
BASELINE_USERS = "ok_users.csv"
BASELINE_ACTIVITY = "act_ok.csv"
# Words that betray an internal error leaking to the reviewer instead of a message for them.
LEAKS = re.compile(r"Traceback|\b\w+(Error|Exception)\b|\bpandas\b|\bduckdb\b|\bNone\b|\bnan\b")


def _case_id(case: dict[str, Any]) -> str:
    extra = "-".join(f"{k}" for k in case["options"])
    return case["file"].removesuffix(".csv") + (f"[{extra}]" if extra else "")


def _params(cases: list[dict[str, Any]]) -> list[Any]:
    """Return the cases as pytest params; a known loader gap is a strict xfail naming the gap."""
    return [
        pytest.param(
            c,
            id=_case_id(c),
            marks=[pytest.mark.xfail(reason=c["known_gap"], strict=True)] if c["known_gap"] else [],
        )
        for c in cases
    ]


PARAMS = _params(CASES)


def _files(case: dict[str, Any]) -> tuple[Path, list[Path]]:
    """Return (users file, activity files) for a case."""
    if case["role"] == "activity":
        return CORPUS / case["with_users"], [CORPUS / case["file"]]
    return CORPUS / case["file"], []


def _cli_args(case: dict[str, Any], db: Path) -> list[str]:
    users, activity = _files(case)
    args = ["load", str(users), "--db", str(db)]
    for path in activity:
        args += ["--activity", str(path)]
    for header, field in case["options"].get("mapping", {}).items():
        args += ["--map", f"{header}={field}"]
    if "date_order" in case["options"]:
        args += ["--date-order", case["options"]["date_order"]]
    return args


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file holding one snapshot (the clean users and activity reports), made once."""
    from dashboard.loading import ReportFile, load_reports

    db = tmp_path_factory.mktemp("seed") / "seeded.duckdb"
    load_reports(
        Store(db),
        ReportFile.from_path(CORPUS / BASELINE_USERS),
        [ReportFile.from_path(CORPUS / BASELINE_ACTIVITY)],
    )
    return db


@pytest.fixture
def seeded(seeded_template: Path, tmp_path: Path) -> Store:
    """A private copy of the seeded database for one test."""
    db = tmp_path / "seats.duckdb"
    shutil.copyfile(seeded_template, db)
    wal = seeded_template.with_name(seeded_template.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, db.with_name(db.name + ".wal"))
    return Store(db)


def _assert_refusal_text(case: dict[str, Any], text: str) -> None:
    """Assert that a refusal message names what the manifest says a reviewer needs."""
    assert case["file"] in text, f"message does not name the file: {text}"
    body = text.replace(case["file"], "")  # the file's own name must not satisfy the checks
    if case["row"] is not None:
        assert re.search(rf"\brow {case['row']}\b", body), f"expected row {case['row']}: {text}"
    if case["column"] is not None:
        assert case["column"] in body, f"expected column {case['column']!r}: {text}"
    assert re.search(case["phrase"], body, re.IGNORECASE), f"expected /{case['phrase']}/: {text}"
    assert not LEAKS.search(body), f"internal detail leaks into the message: {text}"


def _assert_loaded(case: dict[str, Any], store: Store, snapshot_id: int) -> None:
    snap = store.snapshot(snapshot_id)
    assert snap.users == case["users"]
    assert snap.activity_rows == case["activity_rows"]
    assert snap.activity_unmatched == case["activity_unmatched"]
    with store.read() as cur:
        accounts = cur.execute(
            "SELECT count(*) FROM accounts WHERE snapshot_id = ?", [snapshot_id]
        ).fetchone()[0]
        activity = cur.execute(
            "SELECT count(*) FROM activity WHERE snapshot_id = ?", [snapshot_id]
        ).fetchone()[0]
        assert accounts == case["users"]
        assert activity == case["activity_stored"]
        for check in case["checks"]:
            value = cur.execute(check["sql"], [snapshot_id]).fetchone()
            assert value is not None, f"no row for {check['sql']}"
            assert value[0] == check["value"], check["sql"]


@pytest.mark.parametrize("case", PARAMS)
def test_corpus_file_through_the_cli(case: dict[str, Any], seeded: Store, capsys) -> None:
    before = seeded.table_checksums()
    previous = seeded.snapshot().snapshot_id

    code = main(_cli_args(case, seeded.path))
    out, err = capsys.readouterr()

    assert "Traceback" not in err
    assert code == case["exit"], f"{case['what']}: exit {code}, stderr: {err}"
    if case["expect"] == "refuse":
        assert out == ""
        assert err.startswith("error: ")
        _assert_refusal_text(case, err)
        assert seeded.table_checksums() == before
    else:
        payload = json.loads(out)
        assert payload["users"] == case["users"]
        assert payload["activity_rows"] == case["activity_rows"]
        assert payload["activity_unmatched"] == case["activity_unmatched"]
        assert payload["snapshot_id"] > previous
        assert seeded.snapshot().snapshot_id == payload["snapshot_id"]
        _assert_loaded(case, seeded, payload["snapshot_id"])
        if case["notes"]:
            assert re.search(case["notes"], err, re.IGNORECASE), f"expected a note: {err!r}"


@pytest.mark.parametrize("case", PARAMS)
def test_corpus_file_through_the_upload_use_case(case: dict[str, Any], seeded: Store) -> None:
    from dashboard.loading import ReportFile, load_reports

    users, activity = _files(case)
    before = seeded.table_checksums()

    def load():
        return load_reports(
            seeded,
            ReportFile.from_path(users),
            [ReportFile.from_path(p) for p in activity],
            mapping=case["options"].get("mapping"),
            date_order=case["options"].get("date_order"),
            source="upload",
        )

    if case["expect"] == "refuse":
        with pytest.raises(InputRefused) as caught:
            load()
        exc = caught.value
        assert exc.exit_code == 2
        assert exc.file == case["file"]
        if case["row"] is not None:
            assert exc.row == case["row"]
        assert exc.hint, f"the message does not say what to do: {exc}"
        _assert_refusal_text(case, str(exc))
        assert seeded.table_checksums() == before
    else:
        result = load()
        _assert_loaded(case, seeded, result.snapshot_id)
        if case["notes"]:
            assert any(re.search(case["notes"], n, re.IGNORECASE) for n in result.notes)


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"] == "refuse"], ids=_case_id)
def test_cli_and_use_case_give_the_same_message(
    case: dict[str, Any], seeded: Store, capsys
) -> None:
    """Both ways in agree: the CLI prints exactly the use case's refusal (or both load)."""
    from dashboard.loading import ReportFile, load_reports

    users, activity = _files(case)
    code = main(_cli_args(case, seeded.path))
    err = capsys.readouterr().err
    try:
        load_reports(
            seeded,
            ReportFile.from_path(users),
            [ReportFile.from_path(p) for p in activity],
            mapping=case["options"].get("mapping"),
            date_order=case["options"].get("date_order"),
        )
    except InputRefused as exc:
        assert (code, err) == (2, f"error: {exc}\n")
    else:
        assert code == 0


REAL_PROCESS = ["bin_png_renamed.csv", "enc_invalid_utf8_not_cp1252.csv", "row_too_many_fields.csv"]


@pytest.mark.parametrize("name", REAL_PROCESS)
def test_refusal_in_a_real_process_has_no_traceback(name: str, seeded: Store) -> None:
    case = next(c for c in CASES if c["file"] == name and not c["options"])
    before = seeded.table_checksums()
    proc = subprocess.run(
        [sys.executable, "-m", "dashboard", *_cli_args(case, seeded.path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    _assert_refusal_text(case, proc.stderr)
    assert seeded.table_checksums() == before


def test_corpus_is_broad_enough() -> None:
    files = {c["file"] for c in CASES}
    on_disk = {p.name for p in CORPUS.glob("*.csv")}
    assert files == on_disk
    assert len(files) >= 45
    assert {c["expect"] for c in CASES} == {"load", "refuse"}


# One refusal per kind of problem, through the Data & settings page's upload (AppTest).
APP_CASES = [
    "bin_xlsx_renamed.csv",
    "enc_mixed_utf8_cp1252.csv",
    "quote_unclosed.csv",
    "hdr_no_identity.csv",
    "row_duplicate_case.csv",
    "date_unparseable.csv",
    "status_unknown.csv",
    "act_bad_timestamp.csv",
]


@pytest.mark.parametrize("name", APP_CASES)
def test_app_upload_shows_the_same_message_and_changes_nothing(
    name: str, seeded: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from dashboard.loading import ReportFile, load_reports

    case = next(c for c in CASES if c["file"] == name and not c["options"])
    users, activity = _files(case)
    with pytest.raises(InputRefused) as caught:
        load_reports(
            seeded, ReportFile.from_path(users), [ReportFile.from_path(p) for p in activity]
        )
    before = seeded.table_checksums()
    monkeypatch.setenv("LU_SEATS_DB", str(seeded.path))

    at = AppTest.from_file(str(ROOT / "dashboard" / "streamlit_app.py"), default_timeout=30)
    at.run()
    at.switch_page("app_pages/data.py")
    at.run()
    at.file_uploader(key="upload_users").set_value((users.name, users.read_bytes(), "text/csv"))
    if activity:
        at.file_uploader(key="upload_activity").set_value(
            [(p.name, p.read_bytes(), "text/csv") for p in activity]
        )
    at.run()
    at.button(key="upload_go").click()
    at.run()

    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [str(caught.value)]
    assert seeded.table_checksums() == before
