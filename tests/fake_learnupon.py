"""A fake LearnUpon on 127.0.0.1 for tests: paginated /users, Basic auth, rate limit, faults.

It is a real threaded HTTP/1.1 server on a free port. It answers `GET {prefix}/users?page=N`
with LearnUpon's headers (LU-Has-Next-Page, LU-Current-Page, LU-Records-Per-Page,
X-LU-Rate-Limit-Remaining-Minute/Week), checks HTTP Basic auth, enforces a fixed-window request
limit with real 429s, plays a script of faults keyed by request number (1 = the first request
it receives), and logs every request (time, path, page, auth ok, status, fault) for assertions.
"""

from __future__ import annotations

import base64
import json
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

FAULT_KINDS = (
    "429",  # Too Many Requests; with Fault.retry_after a Retry-After header
    "500",
    "502",
    "503",
    "401",  # credentials rejected (for example keys regenerated mid-sync)
    "403",
    "timeout",  # answer only after Fault.delay_s, past the client's timeout
    "malformed",  # 200 with a body that is not JSON
    "truncated",  # 200 with a Content-Length larger than the body, then close
    "drop",  # close the connection without answering
    "wrong_shape",  # 200 with JSON that is not {"user": [...]}
)


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour for one request."""

    kind: str
    retry_after: str | None = None
    delay_s: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; one of {FAULT_KINDS}")


@dataclass(frozen=True)
class LoggedRequest:
    """What the fake saw and did for one request (status 0: the connection was dropped)."""

    number: int
    at: float  # time.monotonic() on arrival
    path: str
    page: int | None
    auth_ok: bool
    status: int
    fault: str | None = None


def make_users(count: int, *, seed: int = 7, first_id: int = 1) -> list[dict[str, Any]]:
    """Return `count` deterministic API users with LearnUpon's fields, extras and gaps."""
    rng = random.Random(seed)
    types = ["learner"] * 7 + ["manager", "instructor", "admin"]
    base = datetime(2024, 1, 1, tzinfo=UTC)
    users = []
    for i in range(first_id, first_id + count):
        created = base + timedelta(days=rng.randrange(0, 600), seconds=rng.randrange(86_400))
        user: dict[str, Any] = {
            "id": i,
            "email": f"User{i:06d}@Example.com" if i % 5 == 0 else f"user{i:06d}@example.com",
            "first_name": f"First{i}",
            "last_name": f"Last{i}",
            "user_type": types[rng.randrange(len(types))],
            "enabled": rng.random() > 0.1,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "last_sign_in_at": None,
            "sign_in_count": 0,
            "account_expires": None,
            # fields the product does not use, as the real API sends them
            "locale": "en",
            "custom_user_data": {"department": "Sales"},
            "membership_type": "Member",
        }
        if rng.random() < 0.8:
            signed = created + timedelta(days=rng.randrange(0, 300), seconds=rng.randrange(999))
            user["last_sign_in_at"] = signed.strftime("%Y-%m-%dT%H:%M:%SZ")
            user["sign_in_count"] = rng.randrange(1, 200)
        if i % 17 == 0:
            user["account_expires"] = "2027-06-30"
        if i % 11 == 0:  # optional fields missing altogether
            for key in ("sign_in_count", "account_expires", "first_name"):
                user.pop(key, None)
        users.append(user)
    return users


@dataclass
class FakeLearnUpon:
    """The fake portal's configuration and state; `start()` serves it, `stop()` ends it."""

    users: list[dict[str, Any]]
    page_size: int = 500
    username: str = "api-user"
    password: str = "api-password"
    faults: dict[int, Fault] = field(default_factory=dict)
    limit_per_window: int | None = None
    window_s: float = 2.0
    limit_retry_after: bool = False
    full_last_page_says_next: bool = False
    prefix: str = "/api/v1"
    week_remaining: int = 100_000
    log: list[LoggedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._windows: dict[int, int] = {}
        self._received = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeLearnUpon:
        """Serve on a free port of 127.0.0.1 in a background thread; return self."""
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The API base URL to give the client, e.g. http://127.0.0.1:PORT/api/v1."""
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    # -- what the tests look at -----------------------------------------------------------------

    def statuses(self) -> list[int]:
        """Return the status of every request so far, in order."""
        with self._lock:
            return [r.status for r in self.log]

    def window_of(self, entry: LoggedRequest) -> int:
        """Return the index of the rate-limit window `entry` arrived in."""
        return int((entry.at - self._started) // self.window_s)

    def pages_served(self) -> list[int]:
        """Return the page numbers answered in full with 200 and real JSON, in order."""
        with self._lock:
            return [r.page for r in self.log if r.status == 200 and r.fault is None and r.page]

    # -- behaviour ------------------------------------------------------------------------------

    def _admit(self, auth_header: str | None) -> tuple[int, bool, Fault | None, int, int]:
        """Count a request; return its number, auth, fault, window index and count in window."""
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode(
            "ascii"
        )
        now = time.monotonic()
        window = int((now - self._started) // self.window_s)
        with self._lock:
            self._received += 1
            number = self._received
            self._windows[window] = self._windows.get(window, 0) + 1
            count = self._windows[window]
            self.week_remaining = max(0, self.week_remaining - 1)
            fault = self.faults.get(number)
        return number, auth_header == expected, fault, window, count

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.log.append(entry)
            self.log.sort(key=lambda r: r.number)

    def _page(self, page: int) -> tuple[list[dict[str, Any]], bool]:
        start = (page - 1) * self.page_size
        rows = self.users[start : start + self.page_size] if page >= 1 else []
        has_next = start + self.page_size < len(self.users)
        if self.full_last_page_says_next and rows and len(rows) == self.page_size:
            has_next = True
        return rows, has_next


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go in two writes; no 40 ms stalls
    owner: FakeLearnUpon

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep the test output quiet; the fake keeps its own log."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        fake = self.owner
        arrived = time.monotonic()
        number, auth_ok, fault, window, count = fake._admit(self.headers.get("Authorization"))
        url = urlsplit(self.path)
        page = _page_number(url.query)

        recorded: list[int] = []

        def record(status: int, kind: str | None = None) -> None:
            # A late answer (timeout fault) is logged on arrival, and only once.
            if not recorded:
                recorded.append(status)
                fake._record(LoggedRequest(number, arrived, url.path, page, auth_ok, status, kind))

        limit = fake.limit_per_window
        remaining = (limit if limit is not None else 10_000) - count
        headers = {
            "X-LU-Rate-Limit-Remaining-Minute": str(max(0, remaining)),
            "X-LU-Rate-Limit-Remaining-Week": str(fake.week_remaining),
        }
        if limit is not None and count > limit:
            if fake.limit_retry_after:
                window_end = fake._started + (window + 1) * fake.window_s
                headers["Retry-After"] = str(math.ceil(window_end - time.monotonic()))
            record(429, "limit")
            self._send(429, {"Message": "Rate limit exceeded"}, headers)
            return
        if fault is not None and self._play(fault, headers, record):
            return
        if not auth_ok:
            record(401)
            self._send(401, {"Message": "Unauthorized"}, headers)
            return
        if url.path.rstrip("/") != fake.prefix + "/users" or page is None:
            record(404)
            self._send(404, {"Message": "Not found"}, headers)
            return
        rows, has_next = fake._page(page)
        headers.update(
            {
                "LU-Has-Next-Page": "true" if has_next else "false",
                "LU-Current-Page": str(page),
                "LU-Records-Per-Page": str(fake.page_size),
            }
        )
        record(200)
        self._send(200, {"user": rows}, headers)

    def _play(
        self, fault: Fault, headers: dict[str, str], record: Callable[[int, str], None]
    ) -> bool:
        """Act out `fault`; return False when the request should then be answered normally."""
        kind = fault.kind
        if kind in ("429", "500", "502", "503", "401", "403"):
            if kind == "429" and fault.retry_after is not None:
                headers = {**headers, "Retry-After": fault.retry_after}
            record(int(kind), kind)
            self._send(int(kind), {"Message": f"scripted {kind}"}, headers)
        elif kind == "timeout":
            record(200, kind)
            time.sleep(fault.delay_s)
            return False
        elif kind == "malformed":
            record(200, kind)
            self._send_bytes(200, b'{"user": [{"id": 1, "email": ', headers)
        elif kind == "wrong_shape":
            record(200, kind)
            self._send(200, {"users": "none here"}, headers)
        elif kind == "truncated":
            record(200, kind)
            body = json.dumps({"user": self.owner.users[:5]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 500))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        elif kind == "drop":
            record(0, kind)
            self.close_connection = True
        return True

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), headers)

    def _send_bytes(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up waiting (timeout fault)


def _page_number(query: str) -> int | None:
    values = parse_qs(query).get("page")
    try:
        return int(values[0]) if values else None
    except ValueError:
        return None


@pytest.fixture(name="fake_lu")
def fake_lu_fixture() -> Iterator[Callable[..., FakeLearnUpon]]:
    """Yield a factory `fake_lu(users, **config)` that starts fakes and stops them afterwards."""
    started: list[FakeLearnUpon] = []

    def start(users: list[dict[str, Any]] | None = None, **config: Any) -> FakeLearnUpon:
        fake = FakeLearnUpon(users if users is not None else make_users(1200), **config).start()
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.stop()
