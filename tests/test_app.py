"""The Streamlit pages, driven in-process with AppTest against a real DuckDB file under tmp_path."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.loading import ReportFile, load_reports
from dashboard.review import flagged_page, review, rules_from_options
from dashboard.store import Store
from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "streamlit_app.py")
PAGES = ["overview", "review", "export", "explore", "data"]
AS_OF = date(2026, 6, 30)


def users_csv(n: int = 40, *, header: str | None = None) -> bytes:
    """Return a users report of `n` accounts whose last logins spread over two years."""
    lines = [header or "Email,First Name,Last Name,User Type,Enabled,Date Created,Last Login"]
    for i in range(n):
        created = AS_OF - timedelta(days=800 - i)
        last = "" if i % 7 == 0 else (AS_OF - timedelta(days=(i * 17) % 700)).isoformat()
        kind = "admin" if i % 10 == 3 else "learner"
        enabled = "false" if i % 13 == 5 else "true"
        lines.append(f"User{i:03d}@Example.com,F{i},L{i},{kind},{enabled},{created},{last}")
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    """A database holding one small users report, named by LU_SEATS_DB for the app."""
    store = Store(tmp_path / "seats.duckdb")
    users = tmp_path / "users.csv"
    users.write_bytes(users_csv())
    load_reports(store, ReportFile.from_path(users), [], as_of=AS_OF)
    monkeypatch.setenv("LU_SEATS_DB", str(store.path))
    return store


def start(page: str | None = None) -> AppTest:
    """Return the app after its first run, switched to `page` when given."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    if page is not None:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    """Return the value shown by the first metric whose label starts with `label`."""
    return next(m.value for m in at.metric if m.label.startswith(label))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_exception(db: Store, page: str) -> None:
    at = start(page)
    assert not at.error, [e.value for e in at.error]
    snap = db.snapshot()
    assert any(f"snapshot #{snap.snapshot_id}" in c.value for c in at.caption)


def test_first_start_on_an_empty_database_loads_the_demo_portal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "fresh.duckdb")
    monkeypatch.setenv("LU_SEATS_DB", str(store.path))
    at = start()
    snap = store.snapshot()
    assert snap.is_demo
    assert any("demo portal" in c.value for c in at.caption)
    assert metric(at, "Seats used").startswith(
        f"{review(store, rules_from_options(store)).figures.used:,}"
    )


def test_uploading_a_users_report_loads_a_new_snapshot(db: Store) -> None:
    before = db.snapshot().snapshot_id
    at = start("data")
    at.file_uploader(key="upload_users").set_value(("portal users.csv", users_csv(25), "text/csv"))
    at.run()
    at.button(key="upload_go").click()
    at.run()
    assert not at.exception
    snap = db.snapshot()
    assert snap.snapshot_id > before
    assert snap.users == 25
    assert snap.label == "portal users.csv"
    assert any(f"snapshot #{snap.snapshot_id}" in s.value for s in at.success)


def test_a_bad_upload_shows_the_clear_error_and_changes_nothing(db: Store) -> None:
    before = db.table_checksums()
    at = start("data")
    # a row with fewer fields than the header: spreadsheet row 7 (header = row 1)
    bad = users_csv(5) + b"x@y.com,only,three\r\n"
    at.file_uploader(key="upload_users").set_value(("bad.csv", bad, "text/csv"))
    at.run()
    at.button(key="upload_go").click()
    at.run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1
    assert errors[0].startswith("bad.csv row 7")
    assert "Traceback" not in errors[0]
    assert db.table_checksums() == before


def test_unknown_headers_offer_a_column_mapping_that_loads_on_retry(db: Store) -> None:
    before = db.snapshot().snapshot_id
    at = start("data")
    odd = users_csv(12, header="Work Mail,First Name,Last Name,User Type,Enabled,Date Created,Seen")
    at.file_uploader(key="upload_users").set_value(("odd.csv", odd, "text/csv"))
    at.run()
    at.button(key="upload_go").click()
    at.run()
    assert "no e-mail or username column" in at.error[0].value
    assert db.snapshot().snapshot_id == before
    at.selectbox(key="map_users_0").select("email")
    at.selectbox(key="map_users_6").select("last_sign_in_at")
    at.button(key="FormSubmitter:mapping_form-Retry with this mapping").click()
    at.run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    snap = db.snapshot()
    assert snap.snapshot_id > before and snap.users == 12


def test_changing_the_cutoff_changes_the_flagged_count(db: Store) -> None:
    at = start("review")
    default = review(db, rules_from_options(db))
    assert metric(at, "Flagged") == f"{default.flagged:,}"
    at.segmented_control(key="rv_cutoff").set_value(365)
    at.run()
    year = review(db, rules_from_options(db, inactive_days=365))
    assert year.flagged != default.flagged
    assert metric(at, "Flagged") == f"{year.flagged:,}"
    # The rules chosen on Review are the ones Overview shows.
    at.switch_page("app_pages/overview.py")
    at.run()
    assert metric(at, "Flagged now") == f"{year.flagged:,}"


def test_a_cutoff_date_flags_against_that_date(db: Store) -> None:
    at = start("review")
    at.segmented_control(key="rv_cutoff").set_value("date")
    at.run()
    at.date_input(key="rv_date").set_value(AS_OF - timedelta(days=200))
    at.run()
    expected = review(db, rules_from_options(db, cutoff=AS_OF - timedelta(days=200)))
    assert metric(at, "Flagged") == f"{expected.flagged:,}"


def test_keeping_a_selected_account_persists_in_the_database(db: Store) -> None:
    at = start("review")
    table = at.dataframe[0]
    first = table.value.iloc[0]["user_key"]
    at.session_state[table.key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="rv_keep_selected").click()
    at.run()
    assert not at.exception
    with db.read() as cur:
        rows = cur.execute("SELECT user_key, decision FROM decisions").fetchall()
    assert rows == [(first, "keep")]
    frame, _ = flagged_page(db, rules_from_options(db), limit=10_000)
    assert first not in set(frame["user_key"])
    # a fresh session (another browser) sees the decision too
    again = start("review")
    assert first in set(again.dataframe[1].value["user_key"])


def test_releasing_a_kept_account_deletes_the_decision(db: Store) -> None:
    from dashboard.review import set_decision

    key = flagged_page(db, rules_from_options(db), limit=1)[0]["user_key"].iloc[0]
    set_decision(db, key, "keep")
    at = start("review")
    kept = at.dataframe[1]
    at.session_state[kept.key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="rv_release_selected").click()
    at.run()
    with db.read() as cur:
        assert cur.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0


def test_search_narrows_the_flagged_table(db: Store) -> None:
    at = start("review")
    at.text_input(key="rv_search").input("user00")
    at.run()
    shown = at.dataframe[0].value
    assert len(shown) >= 1
    assert all("user00" in key for key in shown["user_key"])


def test_explore_runs_a_query_and_refuses_a_write(db: Store) -> None:
    at = start("explore")
    at.text_area(key="explore_sql").input("SELECT count(*) AS n FROM accounts")
    at.button(key="explore_run").click()
    at.run()
    assert not at.error
    results = [d.value for d in at.dataframe if list(d.value.columns) == ["n"]]
    assert results and int(results[0]["n"].iloc[0]) == db.snapshot().users
    at.text_area(key="explore_sql").input("DELETE FROM accounts")
    at.button(key="explore_run").click()
    at.run()
    assert "refused" in at.error[0].value


def test_prepare_export_records_an_audit_row_and_offers_the_files(db: Store) -> None:
    from dashboard.exporting import build_export

    at = start("export")
    at.button(key="export_prepare").click()
    at.run()
    assert not at.exception
    assert "Pre-flight check passed" in at.success[0].value
    with db.read() as cur:
        rows = cur.execute("SELECT actor, snapshot_id, counts FROM exports").fetchall()
    assert len(rows) == 1 and rows[0][0] == "app" and rows[0][1] == db.snapshot().snapshot_id
    labels = [b.label for b in at.download_button]
    assert labels[:3] == ["Deactivation file", "Undo file", "Review sheet"]
    expected = build_export(db, rules_from_options(db))
    assert f"{expected.rows:,} rows" in at.success[0].value
    # the history table lists the new export
    assert list(at.dataframe[-1].value["Export"]) == [1]


def test_a_template_changes_the_header_of_the_export(db: Store) -> None:
    at = start("export")
    at.file_uploader(key="export_template").set_value(
        ("example.csv", b"First Name;Email Address;Enabled\r\nAnn;ann@x.com;TRUE\r\n", "text/csv")
    )
    at.run()
    at.button(key="export_prepare").click()
    at.run()
    assert "`Email Address;Enabled`" in at.success[0].value


def test_a_failing_preflight_blocks_the_export_and_records_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "formula.duckdb")
    users = tmp_path / "users.csv"
    users.write_bytes(
        b"Email,User Type,Enabled,Date Created,Last Login\r\n"
        b"=cmd@example.com,learner,true,2020-01-01,2020-02-01\r\n"
        b"ok@example.com,learner,true,2020-01-01,2020-02-01\r\n"
    )
    load_reports(store, ReportFile.from_path(users), [], as_of=AS_OF)
    monkeypatch.setenv("LU_SEATS_DB", str(store.path))
    at = start("export")
    at.button(key="export_prepare").click()
    at.run()
    assert not at.exception
    assert "Export blocked by the pre-flight check" in at.error[0].value
    assert not at.download_button
    with store.read() as cur:
        assert cur.execute("SELECT count(*) FROM exports").fetchone()[0] == 0


def test_api_sync_from_the_form_loads_a_snapshot_and_stores_no_credentials(db: Store) -> None:
    from tests.fake_learnupon import FakeLearnUpon, make_users

    fake = FakeLearnUpon(make_users(120), page_size=50, password="s3cret-Pa55").start()
    try:
        before = db.snapshot().snapshot_id
        at = start("data")
        at.text_input(key="sync_base_url").input(fake.base_url)
        at.text_input(key="sync_username").input(fake.username)
        at.text_input(key="sync_password").input("s3cret-Pa55")
        at.button(key="FormSubmitter:sync_form-Sync users").click()
        at.run()
    finally:
        fake.stop()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    snap = db.snapshot()
    assert snap.snapshot_id > before and snap.users == 120 and snap.source == "api"
    assert any(f"Synced snapshot #{snap.snapshot_id}" in s.value for s in at.success)
    # the password is in no table and no longer in the session
    with db.read() as cur:
        for (table,) in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            dump = cur.execute(f'SELECT * FROM "{table}"').fetchall()
            assert "s3cret-Pa55" not in repr(dump)
    assert at.text_input(key="sync_password").value == ""


def test_rejected_credentials_show_the_sync_error_and_change_nothing(db: Store) -> None:
    from tests.fake_learnupon import FakeLearnUpon, make_users

    before = db.table_checksums()
    fake = FakeLearnUpon(make_users(10)).start()
    try:
        at = start("data")
        at.text_input(key="sync_base_url").input(fake.base_url)
        at.text_input(key="sync_username").input(fake.username)
        at.text_input(key="sync_password").input("wrong")
        at.button(key="FormSubmitter:sync_form-Sync users").click()
        at.run()
    finally:
        fake.stop()
    assert not at.exception
    assert len(at.error) == 1 and "Traceback" not in at.error[0].value
    assert db.table_checksums() == before


def test_an_example_query_fills_the_editor(db: Store) -> None:
    from dashboard.sandbox import example_queries

    title, query = example_queries()[1]
    at = start("explore")
    at.button(key=f"example_{title}").click()
    at.run()
    assert at.text_area(key="explore_sql").value == query


def test_clearing_a_saved_protected_domain_on_review_unprotects_it(db: Store) -> None:
    from dashboard.contract import save_review_defaults
    from dashboard.rules import ReviewRules

    save_review_defaults(db, ReviewRules(protect_domains=("example.com",)))
    at = start("review")
    assert at.text_input(key="rv_domains").value == "example.com"
    assert metric(at, "Flagged") == "0"
    at.text_input(key="rv_domains").input("")
    at.run()
    plain = review(db, ReviewRules())
    assert plain.flagged > 0
    assert metric(at, "Flagged") == f"{plain.flagged:,}"
