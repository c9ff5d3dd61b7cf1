"""The API sync use case: credentials, one snapshot per sync, nothing changed by a failure."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from dashboard.cli import main
from dashboard.errors import SyncFailed
from dashboard.store import Store
from dashboard.syncing import ENV_PASSWORD, ENV_USERNAME, resolve_target, sync_from_settings
from tests.fake_learnupon import FakeLearnUpon, Fault, make_users
from tests.fake_learnupon import fake_lu_fixture as fake_lu_fixture  # noqa: F401 - fixture

FAST = {"timeout_s": 0.4, "backoff_base_s": 0.01, "backoff_max_s": 0.05, "max_retries": 2}


@pytest.fixture
def no_secrets(tmp_path: Path) -> Path:
    """A secrets.toml path that does not exist, so a developer's own file never leaks in."""
    return tmp_path / "absent" / "secrets.toml"


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_USERNAME, "api-user")
    monkeypatch.setenv(ENV_PASSWORD, "api-password")


def sync(store: Store, fake: FakeLearnUpon, secrets: Path, **options: Any):
    settings = {**FAST, "window_s": fake.window_s, "secrets_path": secrets, **options}
    return sync_from_settings(store, base_url=fake.base_url, **settings)


def page_bodies_sha256(users: list[dict[str, Any]], page_size: int) -> str:
    digest = hashlib.sha256()
    for start in range(0, len(users), page_size):
        digest.update(json.dumps({"user": users[start : start + page_size]}).encode())
    return digest.hexdigest()


# -- success --------------------------------------------------------------------------------------


@pytest.mark.usefixtures("api_env")
def test_a_sync_stores_every_user_as_one_api_snapshot(fake_lu, store: Store, no_secrets) -> None:
    users = make_users(1200)
    fake = fake_lu(users, page_size=500)
    result = sync(store, fake, no_secrets, as_of=date(2026, 3, 1))
    assert result.to_json() == {
        "snapshot_id": 1,
        "users": 1200,
        "activity_rows": 0,
        "activity_unmatched": 0,
        "as_of": "2026-03-01",
    }
    snap = store.snapshot()
    assert (snap.source, snap.label, snap.identity, snap.users) == (
        "api",
        "127.0.0.1",
        "email",
        1200,
    )
    assert snap.files == [
        {
            "name": fake.base_url + "/users",
            "kind": "users",
            "sha256": page_bodies_sha256(users, 500),
            "rows": 1200,
            "pages": 3,
        }
    ]
    with store.read() as cur:
        rows = cur.execute(
            "SELECT user_key, email, user_id, first_name, user_type, enabled, created_at, "
            "last_sign_in_at, sign_in_count, account_expires FROM accounts ORDER BY user_key"
        ).fetchall()
    assert len(rows) == 1200
    by_id = {r[2]: r for r in rows}
    for raw in (users[0], users[4], users[10], users[16]):  # plain, upper-case, gaps, expiry
        row = by_id[str(raw["id"])]
        assert row[0] == raw["email"].lower()
        assert row[1] == raw["email"]
        assert row[3] == raw.get("first_name")
        assert row[4] == raw["user_type"]
        assert row[5] is raw["enabled"]
        assert row[6] == datetime.strptime(raw["created_at"], "%Y-%m-%dT%H:%M:%SZ")
        signed = raw["last_sign_in_at"]
        assert row[7] == (signed and datetime.strptime(signed, "%Y-%m-%dT%H:%M:%SZ"))
        assert row[8] == raw.get("sign_in_count")
        expires = raw.get("account_expires")
        assert row[9] == (expires and date.fromisoformat(expires))


@pytest.mark.usefixtures("api_env")
def test_timestamps_with_an_offset_are_stored_as_naive_utc(
    fake_lu, store: Store, no_secrets
) -> None:
    users = make_users(2)
    users[0]["created_at"] = "2025-06-30T23:30:00-02:00"
    users[0]["last_sign_in_at"] = "2026-01-01T01:00:00+01:00"
    sync(store, fake_lu(users), no_secrets)
    with store.read() as cur:
        row = cur.execute(
            "SELECT created_at, last_sign_in_at FROM accounts WHERE user_id = '1'"
        ).fetchone()
    assert row == (datetime(2025, 7, 1, 1, 30), datetime(2026, 1, 1, 0, 0))


@pytest.mark.usefixtures("api_env")
def test_a_username_portal_keys_accounts_by_username(fake_lu, store: Store, no_secrets) -> None:
    users = [
        {"id": 1, "username": "Ann", "enabled": True, "user_type": "learner"},
        {"id": 2, "username": "bob", "enabled": False, "user_type": "admin"},
    ]
    result = sync(store, fake_lu(users), no_secrets)
    assert result.users == 2
    assert store.snapshot().identity == "username"
    with store.read() as cur:
        keys = cur.execute("SELECT user_key FROM accounts ORDER BY 1").fetchall()
    assert keys == [("ann",), ("bob",)]


@pytest.mark.usefixtures("api_env")
def test_transient_faults_during_a_sync_are_ridden_out(fake_lu, store: Store, no_secrets) -> None:
    faults = {2: Fault("503"), 4: Fault("429", retry_after="0"), 6: Fault("drop")}
    fake = fake_lu(make_users(1200), page_size=300, faults=faults)
    assert sync(store, fake, no_secrets).users == 1200
    assert fake.pages_served() == [1, 2, 3, 4]


@pytest.mark.usefixtures("api_env")
def test_progress_reports_pages_and_accounts_so_far(fake_lu, store: Store, no_secrets) -> None:
    seen: list[tuple[float, str]] = []
    fake = fake_lu(make_users(1200), page_size=500)
    sync(store, fake, no_secrets, progress=lambda f, t: seen.append((f, t)))
    assert seen[:3] == [
        (0.0, "Fetched page 1: 500 accounts so far"),
        (0.0, "Fetched page 2: 1,000 accounts so far"),
        (0.0, "Fetched page 3: 1,200 accounts so far"),
    ]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.usefixtures("api_env")
def test_a_later_sync_measures_its_progress_against_the_last_one(
    fake_lu, store: Store, no_secrets
) -> None:
    fake = fake_lu(make_users(1000), page_size=500)
    sync(store, fake, no_secrets)
    seen: list[tuple[float, str]] = []
    sync(store, fake, no_secrets, progress=lambda f, t: seen.append((f, t)))
    assert seen[:2] == [
        (0.45, "Fetched page 1: 500 accounts so far (the last sync had 1,000)"),
        (0.9, "Fetched page 2: 1,000 accounts so far (the last sync had 1,000)"),
    ]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


@pytest.mark.usefixtures("api_env")
def test_the_apps_progress_bar_can_follow_a_sync(fake_lu, store: Store, no_secrets) -> None:
    from dashboard.ui import progress_reporter

    class Bar:
        def __init__(self) -> None:
            self.shown: list[tuple[float, str]] = []

        def progress(self, value: float, text: str) -> None:
            self.shown.append((value, text))

    bar = Bar()
    sync(
        store, fake_lu(make_users(700), page_size=500), no_secrets, progress=progress_reporter(bar)
    )
    assert bar.shown[0] == (0.0, "Fetched page 1: 500 accounts so far")
    assert bar.shown[-1][0] == 1.0


# -- failures leave the database as it was --------------------------------------------------------

FAILING_AT_PAGE_37 = [
    ("401", "rejected the API credentials", "page 37"),
    ("403", "refused the API key access", "API Keys"),
    ("429", "gave up after 2 retries", "429 Too Many Requests"),
    ("503", "gave up after 2 retries", "HTTP 503"),
    ("timeout", "gave up after 2 retries", "did not answer page 37 within 0.4 s"),
    ("malformed", "gave up after 2 retries", "not valid JSON"),
    ("truncated", "gave up after 2 retries", "cut off"),
    ("drop", "gave up after 2 retries", "dropped"),
    ("wrong_shape", "not a list of users", "/api/v1"),
]


@pytest.mark.usefixtures("api_env")
@pytest.mark.parametrize(
    ("kind", "says", "also"), FAILING_AT_PAGE_37, ids=[k for k, _, _ in FAILING_AT_PAGE_37]
)
def test_a_failure_at_page_37_of_40_leaves_the_database_exactly_as_it_was(
    fake_lu, store: Store, no_secrets, kind: str, says: str, also: str
) -> None:
    sync(store, fake_lu(make_users(50, first_id=9000)), no_secrets)  # an earlier snapshot
    before = store.table_checksums()
    fault = Fault(kind, delay_s=0.8)
    faults = {n: fault for n in range(37, 40)}  # page 37 and both of its retries
    fake = fake_lu(make_users(400), page_size=10, faults=faults, window_s=0.3)
    with pytest.raises(SyncFailed) as caught:
        sync(store, fake, no_secrets)
    message = str(caught.value)
    assert caught.value.exit_code == 3
    assert message.startswith("sync from 127.0.0.1 failed, nothing was changed: ")
    assert says in message and also in message
    assert max(r.page or 0 for r in fake.log) == 37  # it got that far, and no further
    assert store.table_checksums() == before
    assert store.snapshot().users == 50


@pytest.mark.usefixtures("api_env")
def test_a_portal_that_does_not_exist_fails_clearly(fake_lu, store: Store, no_secrets) -> None:
    fake = fake_lu(make_users(10))
    before = store.table_checksums()
    with pytest.raises(SyncFailed, match="no LearnUpon API at .*HTTP 404.*check the portal name"):
        sync_from_settings(store, base_url=fake.base_url + "/nope", secrets_path=no_secrets, **FAST)
    assert store.table_checksums() == before


@pytest.mark.usefixtures("api_env")
def test_duplicate_accounts_from_the_api_are_refused_and_nothing_stored(
    fake_lu, store: Store, no_secrets
) -> None:
    users = make_users(20)
    users[7]["email"] = users[3]["email"].upper()
    before = store.table_checksums()
    with pytest.raises(SyncFailed, match="were not stored") as caught:
        sync(store, fake_lu(users), no_secrets)
    assert users[3]["email"].lower() in str(caught.value).lower()
    assert store.table_checksums() == before


@pytest.mark.usefixtures("api_env")
def test_an_empty_portal_is_refused(fake_lu, store: Store, no_secrets) -> None:
    with pytest.raises(SyncFailed, match="returned no users"):
        sync(store, fake_lu([]), no_secrets)
    assert store.is_empty()


# -- where the portal and credentials come from ---------------------------------------------------


def write_secrets(path: Path, **values: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["[learnupon]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_arguments_beat_the_environment_which_beats_secrets_toml(tmp_path: Path) -> None:
    secrets = write_secrets(tmp_path / "s.toml", portal="acme", username="s-user", password="s-pw")
    env = {ENV_USERNAME: "e-user", ENV_PASSWORD: "e-pw"}
    given = resolve_target(username="a-user", password="a-pw", secrets_path=secrets, environ=env)
    from_env = resolve_target(secrets_path=secrets, environ=env)
    from_file = resolve_target(secrets_path=secrets, environ={})
    assert (given.credentials.username, given.credentials.password) == ("a-user", "a-pw")
    assert (from_env.credentials.username, from_env.credentials.password) == ("e-user", "e-pw")
    assert (from_file.credentials.username, from_file.credentials.password) == ("s-user", "s-pw")
    assert [t.credentials.source for t in (given, from_env, from_file)] == [
        "arguments",
        "environment",
        "secrets.toml",
    ]
    assert from_file.base_url == "https://acme.learnupon.com/api/v1"
    assert from_file.label == "acme"


def test_a_portal_argument_beats_secrets_toml(tmp_path: Path) -> None:
    secrets = write_secrets(
        tmp_path / "s.toml", base_url="https://proxy.example.com/api/v1", username="u", password="p"
    )
    assert resolve_target(secrets_path=secrets, environ={}).label == "proxy.example.com"
    chosen = resolve_target(portal="Other", secrets_path=secrets, environ={})
    assert chosen.base_url == "https://other.learnupon.com/api/v1"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("acme", "acme"),
        ("ACME-Corp", "acme-corp"),
        ("acme.learnupon.com", "acme"),
        ("https://acme.learnupon.com/", "acme"),
    ],
)
def test_portal_names_are_accepted_in_the_forms_people_paste(
    given: str, expected: str, no_secrets
) -> None:
    target = resolve_target(portal=given, username="u", password="p", secrets_path=no_secrets)
    assert target.base_url == f"https://{expected}.learnupon.com/api/v1"


def test_a_portal_name_that_is_not_one_is_refused(no_secrets) -> None:
    with pytest.raises(SyncFailed, match="not a portal name"):
        resolve_target(portal="acme corp/x", username="u", password="p", secrets_path=no_secrets)


def test_no_credentials_anywhere_says_where_to_put_them(no_secrets) -> None:
    with pytest.raises(SyncFailed) as caught:
        resolve_target(portal="acme", secrets_path=no_secrets, environ={})
    message = str(caught.value)
    for where in (ENV_USERNAME, ENV_PASSWORD, ".streamlit/secrets.toml", "API Keys"):
        assert where in message


def test_half_a_credential_pair_is_refused(no_secrets) -> None:
    with pytest.raises(SyncFailed, match="gives the API username but not the password"):
        resolve_target(portal="acme", secrets_path=no_secrets, environ={ENV_USERNAME: "u"})


def test_no_portal_anywhere_says_how_to_name_one(no_secrets) -> None:
    with pytest.raises(SyncFailed, match="--portal NAME"):
        resolve_target(username="u", password="p", secrets_path=no_secrets, environ={})


def test_a_broken_secrets_file_is_named_without_quoting_it(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[learnupon]\npassword = "Hidden-Value\nportal = "acme"\n', encoding="utf-8")
    with pytest.raises(SyncFailed, match="not valid TOML") as caught:
        resolve_target(portal="acme", secrets_path=secrets, environ={})
    assert "Hidden-Value" not in str(caught.value)


def test_secrets_toml_credentials_are_used_for_a_sync(fake_lu, store: Store, tmp_path) -> None:
    fake = fake_lu(make_users(30))
    secrets = write_secrets(
        tmp_path / "secrets.toml",
        base_url=fake.base_url,
        username="api-user",
        password="api-password",
    )
    result = sync_from_settings(store, secrets_path=secrets, window_s=fake.window_s)
    assert result.users == 30
    assert all(r.auth_ok for r in fake.log)


def test_form_credentials_win_over_a_wrong_environment(
    fake_lu, store: Store, no_secrets, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_USERNAME, "api-user")
    monkeypatch.setenv(ENV_PASSWORD, "stale-password")
    fake = fake_lu(make_users(30))
    result = sync(store, fake, no_secrets, username="api-user", password="api-password")
    assert result.users == 30


# -- the command line -----------------------------------------------------------------------------


@pytest.mark.usefixtures("api_env")
def test_cli_sync_prints_the_contract_json_and_lands_rows(
    fake_lu, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = fake_lu(make_users(700), page_size=500)
    db = tmp_path / "cli.duckdb"
    code = main(["sync", "--db", str(db), "--base-url", fake.base_url, "--as-of", "2026-02-01"])
    out = capsys.readouterr()
    assert code == 0, out.err
    printed = json.loads(out.out)
    assert set(printed) == {"snapshot_id", "users", "activity_rows", "activity_unmatched", "as_of"}
    assert printed["users"] == 700 and printed["as_of"] == "2026-02-01"
    with Store(db).read() as cur:
        assert cur.execute("SELECT count(*) FROM accounts").fetchone()[0] == 700
        assert cur.execute("SELECT source FROM snapshots").fetchall() == [("api",)]


@pytest.mark.usefixtures("api_env")
def test_cli_sync_reads_a_never_expiring_account_and_says_so(
    fake_lu, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = make_users(40)
    users[3]["account_expires"] = "9999-12-31"
    fake = fake_lu(users)
    db = tmp_path / "cli.duckdb"
    code = main(["sync", "--db", str(db), "--base-url", fake.base_url])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "1 accounts" in out.err and "never expiring" in out.err
    with Store(db).read() as cur:
        expiry = cur.execute(
            "SELECT account_expires FROM accounts WHERE user_id = ?", [str(users[3]["id"])]
        ).fetchone()
    assert expiry == (None,)


def test_cli_sync_with_rejected_credentials_exits_3_without_a_traceback(
    fake_lu, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_USERNAME, "api-user")
    monkeypatch.setenv(ENV_PASSWORD, "wrong")
    fake = fake_lu(make_users(10))
    db = tmp_path / "cli.duckdb"
    code = main(["sync", "--db", str(db), "--base-url", fake.base_url])
    out = capsys.readouterr()
    assert code == 3
    assert out.out == ""
    assert out.err.startswith("error: sync from 127.0.0.1 failed, nothing was changed: ")
    assert "Settings > Integrations > API Keys" in out.err
    assert "Traceback" not in out.err
    assert Store(db).is_empty()


@pytest.mark.usefixtures("api_env")
def test_plain_http_to_another_machine_is_refused_before_any_request(
    store: Store, no_secrets
) -> None:
    with pytest.raises(SyncFailed, match="refusing to send the API credentials over plain http"):
        sync_from_settings(store, base_url="http://lms.example.com/api/v1", secrets_path=no_secrets)
    assert store.is_empty()


@pytest.mark.usefixtures("api_env")
def test_a_rate_limited_sync_takes_no_longer_than_the_limit_requires(
    fake_lu, store: Store, no_secrets, record_property
) -> None:
    # Long enough that the fixed costs (setting up the client, committing the snapshot; large
    # on a loaded test machine) do not decide the ratio: 60 pages at 10 per 2-second "minute".
    limit, window, pages = 10, 2.0, 60
    fake = fake_lu(make_users(pages * 25), page_size=25, limit_per_window=limit, window_s=window)
    started = time.monotonic()
    result = sync(store, fake, no_secrets)
    elapsed = time.monotonic() - started
    allowed = pages / limit * window  # the throughput the limit allows: `limit` per window
    ratio = elapsed / allowed
    record_property("sync_pacing_ratio", round(ratio, 3))
    assert result.users == pages * 25
    assert 429 not in fake.statuses()
    assert ratio <= 1.15, (
        f"the sync took {elapsed:.2f} s, {ratio:.3f} x the {allowed:.0f} s allowed"
    )
    # spread over each window, not a burst and then a stall: no gap near a whole window
    times = [r.at for r in fake.log]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) < window / 2
