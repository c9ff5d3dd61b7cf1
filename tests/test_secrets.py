"""The API password never shows: not in output, logs, errors, reprs or the database file.

Each case runs the real command line (`sync`) against the fake portal with the credentials in
the environment, logging at DEBUG (httpx and httpcore included), then runs the same sync as a
library call to look at the exception chain itself.
"""

from __future__ import annotations

import base64
import functools
import logging
import socket
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from dashboard import syncing
from dashboard.cli import main
from dashboard.errors import SyncFailed
from dashboard.learnupon import ApiCredentials, LearnUponClient
from dashboard.store import Store
from dashboard.syncing import ENV_PASSWORD, ENV_USERNAME, sync_from_settings
from tests.fake_learnupon import Fault, make_users
from tests.fake_learnupon import fake_lu_fixture as fake_lu_fixture  # noqa: F401 - fixture

USERNAME = "api-user"
PASSWORD = "Tr0ub4dor&3-zebra-QUOKKA-91"
FORMS = [
    PASSWORD,
    base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode(),  # the Authorization value
    quote(PASSWORD, safe=""),
    "QUOKKA-91",  # a fragment, in case something truncates
]

# name, fake configuration (None: a portal whose host does not exist), exit code
CASES: list[tuple[str, dict[str, Any] | None, int]] = [
    ("success", {}, 0),
    ("wrong credentials", {"password": "the-real-one"}, 3),
    ("401 mid-sync", {"faults": {3: Fault("401")}}, 3),
    ("403", {"faults": {1: Fault("403")}}, 3),
    ("portal not found", {"suffix": "/nope"}, 3),
    ("no such host", None, 3),
    *[
        (f"persistent {kind}", {"faults": {n: Fault(kind, delay_s=0.6) for n in range(2, 5)}}, 3)
        for kind in ("429", "503", "timeout", "malformed", "truncated", "drop")
    ],
    ("wrong shape", {"faults": {2: Fault("wrong_shape")}}, 3),
]


@pytest.fixture
def quick_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's client, with a short 'minute', timeout and backoff so failures come fast."""
    monkeypatch.setattr(
        syncing,
        "LearnUponClient",
        functools.partial(
            LearnUponClient,
            window_s=0.3,
            timeout_s=0.3,
            max_retries=2,
            backoff_base_s=0.01,
            backoff_max_s=0.05,
        ),
    )


def leaks(text: str | bytes) -> list[str]:
    """Return the forms of the password found in `text`."""
    if isinstance(text, bytes):
        return [f for f in FORMS if f.encode() in text or f.encode("utf-16-le") in text]
    return [f for f in FORMS if f in text]


def chain(exc: BaseException | None) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


@pytest.mark.usefixtures("quick_client")
@pytest.mark.parametrize(("name", "config", "code"), CASES, ids=[c[0] for c in CASES])
def test_the_password_appears_nowhere(
    name: str,
    config: dict[str, Any] | None,
    code: int,
    fake_lu,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(ENV_USERNAME, USERNAME)
    monkeypatch.setenv(ENV_PASSWORD, PASSWORD)
    monkeypatch.setattr(syncing, "SECRETS_PATH", tmp_path / "no-secrets.toml")
    for logger in ("", "httpx", "httpcore", "dashboard"):
        caplog.set_level(logging.DEBUG, logger=logger)

    def where() -> dict[str, str]:
        """Start a fresh fake (its faults count requests from 1) and say where it is."""
        if config is None:
            return {"portal": "no-such-portal"}
        settings = {"username": USERNAME, "password": PASSWORD, **config}
        suffix = settings.pop("suffix", "")
        return {"base_url": fake_lu(make_users(1200), page_size=500, **settings).base_url + suffix}

    if config is None:

        def no_such_host(host: str, *args: Any, **kwargs: Any) -> Any:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

        monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    db = tmp_path / "seats.duckdb"
    Store(db).set_setting("seat_limit", 500)  # the file exists even when every sync fails

    target = where()
    option = "--portal" if "portal" in target else "--base-url"
    exit_code = main(["sync", "--db", str(db), option, next(iter(target.values()))])
    printed = capsys.readouterr()
    assert exit_code == code, printed.err
    if code == 0:
        assert '"users": 1200' in printed.out
    else:
        assert printed.err.startswith("error: ") and "Traceback" not in printed.err

    raised: list[BaseException] = []
    try:
        sync_from_settings(Store(db), **where())
    except SyncFailed as exc:
        raised = chain(exc)
    assert bool(raised) == bool(code)

    texts = [printed.out, printed.err, caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), repr(record.__dict__)]
    for exc in raised:
        texts += [str(exc), repr(exc), repr(exc.args), repr(vars(exc))]
        texts += traceback.format_exception(exc)
    assert caplog.records, "nothing was logged, so the log check would prove nothing"
    for text in texts:
        assert leaks(text) == []
    files = list(tmp_path.glob("seats.duckdb*"))
    assert files
    for file in files:
        assert leaks(file.read_bytes()) == []


def test_the_leak_check_would_notice_a_leak() -> None:
    creds = ApiCredentials(USERNAME, PASSWORD)
    assert leaks(f"{creds.username}:{creds.password}") == [PASSWORD, "QUOKKA-91"]
    assert leaks(repr(creds)) == []
    assert leaks(PASSWORD.encode("utf-16-le")) == [PASSWORD, "QUOKKA-91"]
