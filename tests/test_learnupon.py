"""The LearnUpon client against a fake LearnUpon on 127.0.0.1 (real sockets, headers and 429s)."""

from __future__ import annotations

import json
import socket
from datetime import date, datetime
from typing import Any

import httpx
import pytest

from dashboard.learnupon import (
    ApiCredentials,
    BadResponse,
    ConnectionFailed,
    CredentialsRejected,
    LearnUponClient,
    LearnUponError,
    PortalNotFound,
    RateLimited,
    ServerError,
    UnsafeBaseURL,
    portal_base_url,
)
from tests.fake_learnupon import FakeLearnUpon, Fault, make_users
from tests.fake_learnupon import fake_lu_fixture as fake_lu_fixture  # noqa: F401 - fixture

CREDS = ApiCredentials("api-user", "api-password")


def client_for(fake: FakeLearnUpon, **options: Any) -> LearnUponClient:
    """A client tuned for tests: a short 'minute', short timeout, tiny backoff."""
    settings: dict[str, Any] = {
        "window_s": fake.window_s,
        "timeout_s": 0.5,
        "backoff_base_s": 0.01,
        "backoff_max_s": 0.05,
    }
    settings.update(options)
    return LearnUponClient(fake.base_url, settings.pop("auth", CREDS), **settings)


def ids(users: list[Any]) -> list[str | None]:
    return [u.user_id for u in users]


# -- pagination ---------------------------------------------------------------------------------


def test_reads_every_page_until_lu_has_next_page_is_false(fake_lu) -> None:
    fake = fake_lu(make_users(1200), page_size=500)
    with client_for(fake) as client:
        pages = list(client.iter_user_pages())
    assert [p.number for p in pages] == [1, 2, 3]
    assert [len(p.users) for p in pages] == [500, 500, 200]
    assert [p.has_next for p in pages] == [True, True, False]
    assert ids([u for p in pages for u in p.users]) == [str(i) for i in range(1, 1201)]
    assert [(r.page, r.auth_ok, r.status) for r in fake.log] == [
        (1, True, 200),
        (2, True, 200),
        (3, True, 200),
    ]


def test_a_full_last_page_followed_by_an_empty_page_ends_the_sync(fake_lu) -> None:
    fake = fake_lu(make_users(1000), page_size=500, full_last_page_says_next=True)
    with client_for(fake) as client:
        users = list(client.iter_users())
    assert len(users) == 1000
    assert [r.page for r in fake.log] == [1, 2, 3]  # page 3 was empty: the end


def test_a_short_page_of_499_is_not_taken_for_the_last_one(fake_lu) -> None:
    fake = fake_lu(make_users(1000), page_size=499)
    with client_for(fake) as client:
        users = list(client.iter_users())
    assert ids(users) == [str(i) for i in range(1, 1001)]
    assert [r.page for r in fake.log] == [1, 2, 3]


def test_lu_has_next_page_false_on_a_full_page_stops_without_asking_for_more(fake_lu) -> None:
    fake = fake_lu(make_users(1000), page_size=500)
    with client_for(fake) as client:
        assert len(list(client.iter_users())) == 1000
    assert [r.page for r in fake.log] == [1, 2]


def test_unknown_fields_are_ignored_and_missing_optional_fields_tolerated() -> None:
    raw = [
        {
            "id": 41,
            "email": " Ann.Lee@Example.com ",
            "first_name": "Ann",
            "last_name": "Lee",
            "user_type": "Admin",
            "enabled": True,
            "created_at": "2025-01-31T23:30:00Z",
            "last_sign_in_at": "2025-03-01T10:00:00+02:00",
            "sign_in_count": 12,
            "account_expires": "2027-06-30",
            "custom_user_data": {"x": 1},
            "new_field_from_the_future": [1, 2],
        },
        {"id": 42, "username": "bob", "enabled": False},
    ]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"user": raw}, headers={"LU-Has-Next-Page": "false"})

    with LearnUponClient(
        "https://acme.learnupon.com/api/v1", CREDS, transport=httpx.MockTransport(answer)
    ) as client:
        ann, bob = list(client.iter_users())
    assert ann.email == "Ann.Lee@Example.com"
    assert ann.user_type == "admin"
    assert ann.created_at == datetime(2025, 1, 31, 23, 30)
    assert ann.last_sign_in_at == datetime(2025, 3, 1, 8, 0)  # +02:00 converted to naive UTC
    assert ann.sign_in_count == 12
    assert ann.account_expires == date(2027, 6, 30)
    assert (bob.user_id, bob.username, bob.email, bob.enabled) == ("42", "bob", None, False)
    assert (bob.created_at, bob.last_sign_in_at, bob.sign_in_count) == (None, None, None)


def test_a_user_without_enabled_is_a_bad_response_naming_the_user() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"user": [{"id": 7, "email": "a@b.c"}]})

    with (
        LearnUponClient(
            "https://acme.learnupon.com/api/v1", CREDS, transport=httpx.MockTransport(answer)
        ) as client,
        pytest.raises(BadResponse, match="page 1, user 7: field 'enabled' is missing"),
    ):
        list(client.iter_users())


def test_an_unreadable_timestamp_is_a_bad_response_naming_user_and_field() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        user = {"id": 9, "email": "a@b.c", "enabled": True, "created_at": "last Tuesday"}
        return httpx.Response(200, json={"user": [user]})

    with (
        LearnUponClient(
            "https://acme.learnupon.com/api/v1", CREDS, transport=httpx.MockTransport(answer)
        ) as client,
        pytest.raises(BadResponse, match="page 1, user 9: field 'created_at'.*last Tuesday"),
    ):
        list(client.iter_users())


@pytest.mark.parametrize("current_page_header", [True, False])
def test_a_server_that_ignores_the_page_parameter_is_caught(current_page_header: bool) -> None:
    asked: list[str] = []

    def same_page_always(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params["page"])
        headers = {"LU-Has-Next-Page": "true"}
        if current_page_header:
            headers["LU-Current-Page"] = "1"
        user = {"id": 1, "email": "a@b.c", "enabled": True}
        return httpx.Response(200, json={"user": [user]}, headers=headers)

    with (
        LearnUponClient(
            "https://acme.learnupon.com/api/v1",
            CREDS,
            transport=httpx.MockTransport(same_page_always),
        ) as client,
        pytest.raises(BadResponse, match="asked for page 2 of the users and got page 1 again"),
    ):
        list(client.iter_users())
    assert asked == ["1", "2"]


def test_portal_base_url_is_the_documented_one() -> None:
    assert portal_base_url("acme") == "https://acme.learnupon.com/api/v1"


# -- faults: retried and recovered ----------------------------------------------------------------

RECOVERABLE = [
    Fault("429", retry_after="0"),
    Fault("429"),
    Fault("500"),
    Fault("502"),
    Fault("503"),
    Fault("timeout", delay_s=1.0),
    Fault("malformed"),
    Fault("truncated"),
    Fault("drop"),
]


@pytest.mark.parametrize("fault", RECOVERABLE, ids=lambda f: f"{f.kind}-ra{f.retry_after}")
def test_a_transient_fault_is_retried_and_the_sync_completes(fake_lu, fault: Fault) -> None:
    fake = fake_lu(make_users(1200), page_size=500, faults={2: fault}, window_s=1.0)
    with client_for(fake) as client:
        users = list(client.iter_users())
    assert ids(users) == [str(i) for i in range(1, 1201)]
    second, third = fake.log[1], fake.log[2]
    assert (second.page, second.fault) == (2, fault.kind)
    assert (third.page, third.status, third.fault) == (2, 200, None)
    assert fake.pages_served() == [1, 2, 3]


EXHAUSTING = [
    (Fault("429"), RateLimited, "429 Too Many Requests"),
    (Fault("503"), ServerError, "HTTP 503"),
    (Fault("500"), ServerError, "HTTP 500"),
    (Fault("timeout", delay_s=0.6), ConnectionFailed, "did not answer page 2 within 0.3 s"),
    (Fault("drop"), ConnectionFailed, "dropped"),
    (Fault("malformed"), BadResponse, "not valid JSON"),
    (Fault("truncated"), BadResponse, "cut off"),
]


@pytest.mark.parametrize(
    ("fault", "error", "says"), EXHAUSTING, ids=[f.kind for f, _, _ in EXHAUSTING]
)
def test_a_fault_that_persists_gives_up_after_the_retry_budget(
    fake_lu, fault: Fault, error: type[LearnUponError], says: str
) -> None:
    retries = 2
    faults = {n: fault for n in range(2, 2 + retries + 1)}
    fake = fake_lu(make_users(1200), page_size=500, faults=faults, window_s=0.3)
    with (
        client_for(fake, max_retries=retries, timeout_s=0.3) as client,
        pytest.raises(error) as caught,
    ):
        list(client.iter_users())
    message = str(caught.value)
    assert message.startswith(f"gave up after {retries} retries: ")
    assert says in message
    assert "try again" in message
    assert [r.page for r in fake.log] == [1, 2, 2, 2]  # one try and exactly two retries


def test_retry_after_is_honoured(fake_lu) -> None:
    fake = fake_lu(make_users(600), page_size=500, faults={2: Fault("429", retry_after="1")})
    with client_for(fake) as client:
        assert len(list(client.iter_users())) == 600
    throttled, retried = fake.log[1], fake.log[2]
    assert throttled.status == 429
    assert retried.at - throttled.at >= 1.0


def test_without_retry_after_the_retry_waits_for_the_next_window(fake_lu) -> None:
    fake = fake_lu(make_users(600), page_size=500, faults={2: Fault("429")}, window_s=1.0)
    with client_for(fake) as client:
        assert len(list(client.iter_users())) == 600
    throttled, retried = fake.log[1], fake.log[2]
    assert throttled.status == 429
    assert fake.window_of(retried) > fake.window_of(throttled)


def test_the_fakes_own_limit_answers_429_and_the_client_recovers(fake_lu) -> None:
    # The limit is met before the client has read any budget header: a second consumer on the
    # same portal. The client must wait for the window to turn, not fail.
    fake = fake_lu(make_users(1500), page_size=500, limit_per_window=3, window_s=2.0)
    with client_for(fake) as client:
        with httpx.Client() as other:
            for _ in range(3):
                other.get(fake.base_url + "/users", params={"page": 9})
        assert len(list(client.iter_users())) == 1500
    assert fake.statuses()[3] == 429
    assert fake.pages_served() == [1, 2, 3]


def test_a_limit_429_with_retry_after_is_waited_out_into_the_next_window(fake_lu) -> None:
    fake = fake_lu(
        make_users(1500), page_size=500, limit_per_window=2, window_s=2.0, limit_retry_after=True
    )
    with client_for(fake) as client:
        with httpx.Client() as other:
            other.get(fake.base_url + "/users", params={"page": 9})
            other.get(fake.base_url + "/users", params={"page": 9})
        assert len(list(client.iter_users())) == 1500
    throttled, retried = fake.log[2], fake.log[3]
    assert (throttled.status, throttled.fault) == (429, "limit")
    assert fake.window_of(retried) == fake.window_of(throttled) + 1
    assert fake.statuses()[3:] == [200, 200, 200]


def test_weekly_allowance_used_up_fails_at_once(fake_lu) -> None:
    fake = fake_lu(make_users(600), page_size=500, faults={1: Fault("429")}, week_remaining=0)
    with client_for(fake) as client, pytest.raises(RateLimited, match="weekly") as caught:
        list(client.iter_users())
    assert "gave up" not in str(caught.value)
    assert len(fake.log) == 1


def test_a_retry_after_longer_than_the_sync_will_wait_fails_at_once(fake_lu) -> None:
    fake = fake_lu(make_users(600), faults={1: Fault("429", retry_after="3600")})
    with client_for(fake, max_wait_s=60) as client, pytest.raises(RateLimited, match="wait 3600 s"):
        list(client.iter_users())
    assert len(fake.log) == 1


def test_backoff_grows_exponentially_with_jitter_and_is_capped(fake_lu) -> None:
    fake = fake_lu(make_users(100), faults={n: Fault("503") for n in range(1, 6)})
    slept: list[float] = []
    with client_for(
        fake, max_retries=5, backoff_base_s=0.01, backoff_max_s=0.04, sleep=slept.append
    ) as client:
        assert len(list(client.iter_users())) == 100
    retry_waits = [s for s in slept if s >= 0.004]  # pacing waits are far shorter
    assert len(retry_waits) == 5
    for n, wait in enumerate(retry_waits, start=1):
        ceiling = min(0.04, 0.01 * 2 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert len(set(retry_waits)) > 1


# -- faults: not retried ------------------------------------------------------------------------


def test_wrong_credentials_are_rejected_with_what_to_do(fake_lu) -> None:
    fake = fake_lu(make_users(100))
    wrong = ApiCredentials("api-user", "not-the-password")
    with client_for(fake, auth=wrong) as client, pytest.raises(CredentialsRejected) as caught:
        list(client.iter_users())
    assert "Settings > Integrations > API Keys" in str(caught.value)
    assert "LEARNUPON_API_USERNAME" in str(caught.value)
    assert [(r.auth_ok, r.status) for r in fake.log] == [(False, 401)]  # never retried


def test_a_401_in_the_middle_stops_at_once(fake_lu) -> None:
    fake = fake_lu(make_users(2000), page_size=500, faults={3: Fault("401")})
    with client_for(fake) as client, pytest.raises(CredentialsRejected, match="page 3"):
        list(client.iter_users())
    assert fake.statuses() == [200, 200, 401]


def test_a_403_is_a_credentials_problem(fake_lu) -> None:
    fake = fake_lu(make_users(100), faults={1: Fault("403")})
    with client_for(fake) as client, pytest.raises(CredentialsRejected, match="HTTP 403"):
        list(client.iter_users())


def test_a_wrong_base_path_is_portal_not_found(fake_lu) -> None:
    fake = fake_lu(make_users(100))
    base = fake.base_url.replace("/api/v1", "/api/v9")
    with LearnUponClient(base, CREDS) as client, pytest.raises(PortalNotFound, match="404"):
        list(client.iter_users())


def test_a_portal_whose_host_does_not_exist_is_portal_not_found(monkeypatch) -> None:
    asked: list[str] = []

    def no_such_host(host: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with (
        LearnUponClient(portal_base_url("no-such-portal"), CREDS) as client,
        pytest.raises(PortalNotFound, match="no-such-portal.learnupon.com does not exist"),
    ):
        list(client.iter_users())
    assert asked == ["no-such-portal.learnupon.com"]  # tried once: a missing host is not transient


def test_a_wrong_shape_is_a_bad_response_and_not_retried(fake_lu) -> None:
    fake = fake_lu(make_users(100), faults={1: Fault("wrong_shape")})
    with client_for(fake) as client, pytest.raises(BadResponse, match="not a list of users"):
        list(client.iter_users())
    assert len(fake.log) == 1


def test_plain_http_to_another_machine_is_refused() -> None:
    with pytest.raises(UnsafeBaseURL, match="plain http"):
        LearnUponClient("http://acme.learnupon.com/api/v1", CREDS)


def test_credentials_inside_the_base_url_are_refused() -> None:
    with pytest.raises(UnsafeBaseURL, match="remove it"):
        LearnUponClient("https://u:p@acme.learnupon.com/api/v1", CREDS)


def test_credentials_repr_hides_the_password() -> None:
    creds = ApiCredentials("api-user", "s3cret-Pa55")
    assert "s3cret-Pa55" not in repr(creds)
    assert "s3cret-Pa55" not in str(creds)
    assert "s3cret-Pa55" not in repr(LearnUponClient("https://acme.learnupon.com/api/v1", creds))


# -- pacing -------------------------------------------------------------------------------------


def test_pacing_slows_down_only_as_far_as_the_budget_requires(fake_lu) -> None:
    fake = fake_lu(make_users(200), page_size=20, limit_per_window=300, window_s=1.0)
    with client_for(fake) as client:
        assert len(list(client.iter_users())) == 200
    # 10 requests out of a budget of 300 a window: about 10/300 of a window, not a whole one.
    # (The pacing under a binding limit is timed on a whole sync in tests/test_syncing.py.)
    assert len(fake.log) == 10
    assert fake.log[-1].at - fake.log[0].at < 0.25


def test_pages_hash_the_exact_bytes_received(fake_lu) -> None:
    fake = fake_lu(make_users(30), page_size=20)
    with client_for(fake) as client:
        pages = list(client.iter_user_pages())
    assert [len(json.loads(p.body)["user"]) for p in pages] == [20, 10]
