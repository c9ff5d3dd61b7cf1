"""The LearnUpon REST API client: paginated users, paced under the rate limit, retried with backoff.

One `httpx.Client` per `LearnUponClient`; the transport can be injected (tests use a local fake
server or `httpx.MockTransport`). Every failure is a `LearnUponError` subclass whose message says
what to do. No exception raised here carries an httpx object (they hold the request, and so the
Authorization header), and nothing here logs or formats the credentials.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

DEFAULT_WINDOW_S = 60.0
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_RETRIES = 5
KEYS_HINT = (
    "generate a new key pair under Settings > Integrations > API Keys (this invalidates the old "
    "pair) and set LEARNUPON_API_USERNAME / LEARNUPON_API_PASSWORD, or username / password under "
    "[learnupon] in .streamlit/secrets.toml"
)
PORTAL_HINT = (
    "check the portal name (the NAME in https://NAME.learnupon.com) or the --base-url, "
    "which must end in /api/v1"
)


def portal_base_url(portal: str) -> str:
    """Return the API base URL of a portal: `https://{portal}.learnupon.com/api/v1`."""
    return f"https://{portal}.learnupon.com/api/v1"


# -- errors -------------------------------------------------------------------------------------


class LearnUponError(Exception):
    """Base class of every API failure; the message says what to do next."""


class CredentialsRejected(LearnUponError):
    """LearnUpon answered 401 or 403: the API key pair is wrong, revoked or not allowed."""


class PortalNotFound(LearnUponError):
    """No LearnUpon API at that address: HTTP 404, a redirect away, or the host does not exist."""


class RateLimited(LearnUponError):
    """LearnUpon kept answering 429, or asked for a wait longer than we are willing to make."""


class ServerError(LearnUponError):
    """LearnUpon kept answering 5xx."""


class ConnectionFailed(LearnUponError):
    """Requests kept timing out, being refused or dropped before a full answer arrived."""


class BadResponse(LearnUponError):
    """The answer was not what the API documents: malformed JSON, a cut-off body, a wrong shape."""


class UnsafeBaseURL(LearnUponError):
    """The base URL would expose the credentials (plain http to another machine, or user:pass@)."""


# -- values -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiCredentials:
    """An API username and password; the password never appears in repr() or str()."""

    username: str
    password: str = field(repr=False)
    source: str = "arguments"

    def __repr__(self) -> str:
        return f"ApiCredentials(username={self.username!r}, password='***', source={self.source!r})"

    __str__ = __repr__

    def httpx_auth(self) -> httpx.BasicAuth:
        """Return the HTTP Basic auth object httpx sends with every request."""
        return httpx.BasicAuth(self.username, self.password)


@dataclass(frozen=True, slots=True)
class LearnUponUser:
    """One user as `GET /users` returns it, reduced to the fields the review uses."""

    user_id: str | None
    email: str | None
    username: str | None
    first_name: str | None
    last_name: str | None
    user_type: str | None
    enabled: bool
    created_at: datetime | None
    last_sign_in_at: datetime | None
    sign_in_count: int | None
    account_expires: date | None


@dataclass(frozen=True)
class UserPage:
    """One page of `GET /users?page=N`: its users, whether LearnUpon says more follow, its bytes."""

    number: int
    users: list[LearnUponUser]
    has_next: bool
    body: bytes = field(repr=False)


# -- parsing ------------------------------------------------------------------------------------


def parse_timestamp(value: Any) -> datetime | None:
    """Return an API timestamp (`YYYY-MM-DDTHH:MM:SSZ` or with an offset) as naive UTC, or None."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a timestamp")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def _parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    return date.fromisoformat(value.strip()[:10])


def _parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ValueError(f"{value!r} is not true or false")


def _parse_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _parse_count(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a count")
    return int(value)


def parse_user(raw: dict[str, Any]) -> LearnUponUser:
    """Return the user in one element of `{"user": [...]}`; unknown fields are ignored.

    Raises ValueError naming the field when a present value cannot be read, or when `enabled`
    (which decides whether the account holds a seat) is missing.
    """
    if "enabled" not in raw or raw["enabled"] is None:
        raise ValueError("field 'enabled' is missing")
    name = "?"
    try:
        name = "enabled"
        enabled = _parse_bool(raw["enabled"])
        name = "created_at"
        created_at = parse_timestamp(raw.get("created_at"))
        name = "last_sign_in_at"
        last_sign_in_at = parse_timestamp(raw.get("last_sign_in_at"))
        name = "sign_in_count"
        sign_in_count = _parse_count(raw.get("sign_in_count"))
        name = "account_expires"
        account_expires = _parse_date(raw.get("account_expires"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"field {name!r}: {exc}") from None
    user_type = _parse_text(raw.get("user_type"))
    return LearnUponUser(
        user_id=_parse_text(raw.get("id")),
        email=_parse_text(raw.get("email")),
        username=_parse_text(raw.get("username")),
        first_name=_parse_text(raw.get("first_name")),
        last_name=_parse_text(raw.get("last_name")),
        user_type=user_type.lower() if user_type else None,
        enabled=enabled,
        created_at=created_at,
        last_sign_in_at=last_sign_in_at,
        sign_in_count=sign_in_count,
        account_expires=account_expires,
    )


# -- pacing -------------------------------------------------------------------------------------


class _Pacer:
    """Spreads the requests left in the rate-limit window over the rest of that window.

    LearnUpon reports only how many requests remain this minute, not when the minute ends. The
    end is estimated from the request that first saw a fresh budget (the remaining count did
    not fall): it started no earlier than that request was sent, so waiting for the estimate
    never sends a request into a spent window.
    """

    def __init__(self, window_s: float, clock: Callable[[], float]) -> None:
        self.window_s = window_s
        self.margin_s = window_s * 0.01
        self.clock = clock
        self.remaining: int | None = None
        self.window_end: float | None = None

    def observe(self, remaining: int | None, sent_at: float) -> None:
        """Record the remaining budget a response reported for a request sent at `sent_at`."""
        if remaining is None:
            return
        if self.remaining is None or remaining >= self.remaining:
            self.window_end = sent_at + self.window_s + self.margin_s
        self.remaining = remaining

    def spent(self, retry_after: float | None) -> float:
        """Record a 429 and return the seconds to wait: `retry_after`, else until the window turns.

        When the estimated window end has already passed (the estimate was wrong, or another
        integration spends the same budget), wait one whole window.
        """
        now = self.clock()
        if retry_after is not None:
            self.window_end = now + retry_after
        elif self.window_end is None or self.window_end <= now:
            self.window_end = now + self.window_s
        self.remaining = 0
        return self.window_end - now

    def delay(self) -> float:
        """Return how long to wait before the next request."""
        if self.remaining is None or self.window_end is None:
            return 0.0
        left = self.window_end - self.clock()
        if left <= 0:
            return 0.0
        # Even spacing that fits the remaining requests before the window end and sends the
        # next one as the window turns: left / (remaining + 1) at every step.
        return left / (max(self.remaining, 0) + 1)


def _header_int(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _is_name_resolution_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _check_base_url(url: httpx.URL) -> None:
    if url.userinfo:
        raise UnsafeBaseURL(
            "the base URL contains a user name or password; remove it and give the credentials "
            "through LEARNUPON_API_USERNAME / LEARNUPON_API_PASSWORD or .streamlit/secrets.toml"
        )
    if url.scheme == "https":
        return
    if url.scheme != "http":
        raise UnsafeBaseURL(f"the base URL must start with https:// ({PORTAL_HINT})")
    host = url.host
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise UnsafeBaseURL(
            f"refusing to send the API credentials over plain http to {host}; use https://"
        )


# -- the client ---------------------------------------------------------------------------------


class LearnUponClient:
    """A LearnUpon REST API client with pagination, pacing and retries.

    `auth` is an `ApiCredentials`, a `(username, password)` pair or any `httpx.Auth`. `window_s`
    is the length of the rate-limit window (a minute; tests shorten it), `sleep` and `clock` let
    tests run in seconds.
    """

    def __init__(
        self,
        base_url: str,
        auth: ApiCredentials | tuple[str, str] | httpx.Auth,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        max_retries: int = DEFAULT_MAX_RETRIES,
        backoff_base_s: float = 1.0,
        backoff_max_s: float = 30.0,
        max_wait_s: float = 900.0,
        window_s: float = DEFAULT_WINDOW_S,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        url = httpx.URL(base_url.rstrip("/"))
        _check_base_url(url)
        if isinstance(auth, ApiCredentials):
            auth = auth.httpx_auth()
        elif isinstance(auth, tuple):
            auth = httpx.BasicAuth(*auth)
        self.base_url = str(url)
        self.host = url.host
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.max_wait_s = max_wait_s
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._pacer = _Pacer(window_s, clock)
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            transport=transport,
            timeout=timeout_s,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "lu-seats"},
        )

    def __repr__(self) -> str:
        return f"LearnUponClient({self.base_url!r})"

    def __enter__(self) -> LearnUponClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- pagination -----------------------------------------------------------------------------

    def iter_user_pages(self) -> Iterator[UserPage]:
        """Yield every non-empty page of `GET /users`, from page 1 until LearnUpon says stop.

        The end is `LU-Has-Next-Page: false` or an empty page, never a short page (LearnUpon
        has been seen serving 499 users a page).
        """
        number = 1
        previous = b""
        while True:
            response, payload = self._get_json("/users", {"page": number}, number)
            rows = self._user_rows(payload, number)
            if not rows:
                return
            current = _header_int(response, "LU-Current-Page")
            if (current is not None and current != number) or response.content == previous:
                # Something between us and LearnUpon ignores ?page=; without this the sync
                # would ask for the same users forever.
                raise BadResponse(
                    f"asked for page {number} of the users and got page {current or number - 1} "
                    "again; a proxy may be dropping the ?page= parameter; " + PORTAL_HINT
                )
            previous = response.content
            users = []
            for i, raw in enumerate(rows, start=1):
                try:
                    users.append(parse_user(raw))
                except ValueError as exc:
                    reason = str(exc)
                    who = raw.get("id", f"#{i}")
                    raise BadResponse(
                        f"LearnUpon's page {number}, user {who}: {reason}; that is not the "
                        "documented users format, so the sync stopped (check the base URL; "
                        "if it is right, LearnUpon changed its API: report the user id)"
                    ) from None
            has_next = response.headers.get("LU-Has-Next-Page", "true").strip().lower() != "false"
            yield UserPage(number=number, users=users, has_next=has_next, body=response.content)
            if not has_next:
                return
            number += 1

    def iter_users(self) -> Iterator[LearnUponUser]:
        """Yield every user of the portal, page after page."""
        for page in self.iter_user_pages():
            yield from page.users

    @staticmethod
    def _user_rows(payload: Any, number: int) -> list[dict[str, Any]]:
        if payload == {} or payload == []:
            return []
        rows = payload.get("user") if isinstance(payload, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            shape = sorted(payload)[:5] if isinstance(payload, dict) else type(payload).__name__
            raise BadResponse(
                f"LearnUpon's answer to page {number} is not a list of users (got {shape}); "
                + PORTAL_HINT
            )
        return rows

    # -- one request, paced and retried -----------------------------------------------------------

    def _backoff(self, retry: int) -> float:
        ceiling = min(self.backoff_max_s, self.backoff_base_s * 2 ** (retry - 1))
        return self._rng.uniform(ceiling / 2, ceiling)

    def _get_json(self, path: str, params: dict[str, Any], page: int) -> tuple[httpx.Response, Any]:
        """Return the response to GET `path` and its decoded JSON, after pacing and retries."""
        where = f"page {page}"
        retries = 0
        while True:
            wait = self._pacer.delay()
            if wait > 0:
                log.debug("pacing: waiting %.2f s before %s", wait, where)
                self._sleep(wait)
            failure: LearnUponError | None = None
            wait_for: float | None = None
            final: LearnUponError | None = None
            response: httpx.Response | None = None
            sent_at = self._clock()
            # Exceptions are turned into messages inside the except blocks and raised outside
            # them, so no raised error keeps a reference to the httpx request (and its auth).
            try:
                response = self._http.get(path, params=params)
            except httpx.TimeoutException:
                failure = ConnectionFailed(
                    f"LearnUpon did not answer {where} within {self.timeout_s:g} s"
                )
            except httpx.ConnectError as exc:
                if _is_name_resolution_failure(exc):
                    final = PortalNotFound(f"the host {self.host} does not exist; {PORTAL_HINT}")
                else:
                    failure = ConnectionFailed(f"could not connect to {self.host}")
            except httpx.TransportError as exc:
                if "complete message body" in str(exc):
                    failure = BadResponse(
                        f"LearnUpon's answer to {where} was cut off before its end"
                    )
                else:
                    failure = ConnectionFailed(
                        f"the connection to {self.host} dropped before {where} arrived"
                    )
            if final is not None:
                raise final
            if response is not None:
                self._pacer.observe(
                    _header_int(response, "X-LU-Rate-Limit-Remaining-Minute"), sent_at
                )
                log.debug(
                    "GET %s %s -> %s (remaining this minute: %s)",
                    path,
                    params,
                    response.status_code,
                    response.headers.get("X-LU-Rate-Limit-Remaining-Minute", "?"),
                )
                status = response.status_code
                if status == 200:
                    payload, failure = self._decode(response, where)
                    if failure is None:
                        return response, payload
                elif status in (401, 403):
                    raise self._rejected(status, page)
                elif status == 404:
                    raise PortalNotFound(
                        f"there is no LearnUpon API at {self.base_url} (HTTP 404); {PORTAL_HINT}"
                    )
                elif 300 <= status < 400:
                    raise PortalNotFound(
                        f"{self.base_url} redirects elsewhere (HTTP {status}) instead of "
                        f"answering as the LearnUpon API; {PORTAL_HINT}"
                    )
                elif status == 429:
                    failure, wait_for = self._throttled(response, where)
                elif status >= 500:
                    failure = ServerError(f"LearnUpon answered HTTP {status} to {where}")
                else:
                    raise BadResponse(
                        f"LearnUpon answered HTTP {status} to {where}, which this tool does not "
                        f"expect; {PORTAL_HINT}"
                    )
            assert failure is not None
            if retries >= self.max_retries:
                raise type(failure)(
                    f"gave up after {self.max_retries} retries: {failure}; "
                    + self._give_up_hint(failure)
                )
            retries += 1
            delay = wait_for if wait_for is not None else self._backoff(retries)
            log.info("%s; retry %d of %d in %.2f s", failure, retries, self.max_retries, delay)
            self._sleep(delay)

    @staticmethod
    def _decode(response: httpx.Response, where: str) -> tuple[Any, LearnUponError | None]:
        try:
            return json.loads(response.content), None
        except ValueError:
            return None, BadResponse(f"LearnUpon's answer to {where} is not valid JSON")

    def _throttled(
        self, response: httpx.Response, where: str
    ) -> tuple[LearnUponError, float | None]:
        if _header_int(response, "X-LU-Rate-Limit-Remaining-Week") == 0:
            raise RateLimited(
                "the portal has used its weekly API request allowance (HTTP 429, "
                "X-LU-Rate-Limit-Remaining-Week: 0); try again next week or ask LearnUpon "
                "support to raise the limit"
            )
        wait = self._pacer.spent(_retry_after(response))
        if wait > self.max_wait_s:
            raise RateLimited(
                f"LearnUpon asks to wait {wait:.0f} s before {where} (HTTP 429), longer than "
                f"the {self.max_wait_s:.0f} s this sync waits; try again later"
            )
        return RateLimited(f"LearnUpon answered 429 Too Many Requests to {where}"), wait

    def _rejected(self, status: int, page: int) -> CredentialsRejected:
        what = "rejected the API credentials" if status == 401 else "refused the API key access"
        during = (
            f" on page {page}, part-way through (were the keys regenerated during the sync?)"
            if page > 1
            else ""
        )
        return CredentialsRejected(f"LearnUpon {what} (HTTP {status}){during}: {KEYS_HINT}")

    @staticmethod
    def _give_up_hint(failure: LearnUponError) -> str:
        if isinstance(failure, RateLimited):
            return (
                "another integration may be using the portal's API allowance; "
                "try again in a few minutes"
            )
        if isinstance(failure, ServerError):
            return "LearnUpon may be down or in maintenance; try again later"
        if isinstance(failure, ConnectionFailed):
            return "check the network or proxy and try again later"
        return f"try again later; if it persists, {PORTAL_HINT}"
