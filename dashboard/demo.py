"""The bundled demo portal: a deterministic, realistic LearnUpon export pair and its loading.

The generator writes `data/demo/users.csv` (a users report) and `data/demo/activity.csv` (a
login-activity report) exactly as committed: the same seed always gives the same bytes. Group
memberships are written in one `Groups` cell separated by "; ", the way the loader splits a
column that contains semicolons. Dates follow LearnUpon's day-first convention in the users
report (D/M/YYYY HH:MM) and ISO 8601 in the activity report.
"""

from __future__ import annotations

import csv
import io
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from dashboard.loading import LoadResult, ReportFile, load_reports
from dashboard.store import PROJECT_ROOT, Store

DEMO_DIR = PROJECT_ROOT / "data" / "demo"
AS_OF = date(2026, 11, 1)
SEED = 20261101
ACCOUNTS = 1500

USERS_HEADER = [
    "User ID",
    "Email",
    "First Name",
    "Last Name",
    "User Type",
    "Enabled",
    "Date Created",
    "Last Login",
    "Sign In Count",
    "Groups",
]
ACTIVITY_HEADER = ["Email", "Login Date", "Course"]

_COMPANY = "northwind-learning.example"
_OTHER_DOMAINS = ("talentbridge.example", "kestrel-consulting.example", "partner-academy.example")
_FIRST = [
    "Aoife",
    "Seán",
    "Siobhán",
    "Ciarán",
    "Niamh",
    "Éamon",
    "Róisín",
    "Pádraig",
    "Orla",
    "Cathal",
    "Zoë",
    "Chloé",
    "Renée",
    "José",
    "María",
    "Lucía",
    "Andrés",
    "Sofía",
    "Björn",
    "Åsa",
    "Jürgen",
    "Günther",
    "Françoise",
    "Amélie",
    "Hélène",
    "Léa",
    "Noémie",
    "Joël",
    "François",
    "Mateo",
    "Emma",
    "Olivia",
    "Liam",
    "Noah",
    "Ava",
    "Mia",
    "Lucas",
    "Ethan",
    "Grace",
    "Ella",
    "Jack",
    "Oliver",
    "Priya",
    "Arjun",
    "Ananya",
    "Rohan",
    "Mei",
    "Wei",
    "Hiroshi",
    "Yuki",
    "Fatima",
    "Omar",
    "Layla",
    "Kwame",
    "Amara",
    "Chidi",
    "Ingrid",
    "Lars",
    "Magnus",
    "Zofia",
    "Łukasz",
    "Agnieszka",
    "Dvořák",
    "Tomás",
    "Inés",
    "Raúl",
    "Nuria",
]
_LAST = [
    "Murphy",
    "Kelly",
    "O'Brien",
    "Byrne",
    "Ryan",
    "Walsh",
    "O'Sullivan",
    "Doyle",
    "McCarthy",
    "Gallagher",
    "Müller",
    "Schröder",
    "Weiß",
    "García",
    "Martínez",
    "Núñez",
    "López",
    "Peña",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Håkansson",
    "Söderström",
    "Nørgaard",
    "Kowalski",
    "Wiśniewski",
    "Nowak",
    "Novák",
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Patel",
    "Sharma",
    "Gupta",
    "Chen",
    "Wang",
    "Tanaka",
    "Sato",
    "Okafor",
    "Mensah",
    "Haddad",
    "Khan",
    "Rossi",
    "Bianchi",
    "Costa",
    "Silva",
    "Fernández",
] + ["Ó Briain", "Ní Bhriain", "de la Cruz"]
_GROUPS = (
    "Sales",
    "Marketing",
    "Engineering",
    "Customer Success",
    "Finance",
    "People & Culture",
    "Operations",
    "Legal & Compliance",
    "Support EMEA",
    "Support Americas",
    "Leadership",
    "New Starters 2026",
)
_COURSES = (
    "Code of Conduct 2026",
    "Information Security Basics",
    "GDPR Essentials",
    "Product Fundamentals",
    "Negotiation Skills",
    "Health & Safety at Work",
    "Leading Remote Teams",
    "Customer Empathy",
    "Anti-Bribery and Corruption",
    "Onboarding: Your First 30 Days",
)


@dataclass(frozen=True)
class _Person:
    user_id: int
    email: str
    first: str
    last: str
    user_type: str
    enabled: bool
    created: datetime
    logins: list[datetime]
    groups: list[str]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = folded.replace("ł", "l").replace("ø", "o").replace("ß", "ss")
    return "".join(ch for ch in folded if ch.isascii() and ch.isalnum())


def _at(rng: random.Random, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, rng.randint(7, 19), rng.randint(0, 59))


def _people(rng: random.Random) -> list[_Person]:
    start = AS_OF - timedelta(days=4 * 365)
    ids = rng.sample(range(100_001, 100_001 + 4 * ACCOUNTS), ACCOUNTS)
    seen: set[str] = set()
    people: list[_Person] = []
    for n in range(ACCOUNTS):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        domain = _COMPANY if rng.random() < 0.86 else rng.choice(_OTHER_DOMAINS)
        local = f"{_ascii(first)}.{_ascii(last)}"
        while f"{local}@{domain}" in seen:
            local = f"{_ascii(first)}.{_ascii(last)}{rng.randint(2, 99)}"
        seen.add(f"{local}@{domain}")
        # Some portals hold e-mails exactly as people typed them.
        email = f"{local}@{domain}"
        if rng.random() < 0.04:
            email = ".".join(part.capitalize() for part in local.split(".")) + f"@{domain}"
        roll = rng.random()
        user_type = (
            "learner"
            if roll < 0.84
            else "manager"
            if roll < 0.94
            else "instructor"
            if roll < 0.98
            else "admin"
        )
        profile = rng.choices(
            ["regular", "occasional", "lapsed", "never", "disabled", "new"],
            weights=[50, 12, 16, 9, 9, 4],
        )[0]
        if profile == "new":
            created = _at(rng, AS_OF - timedelta(days=rng.randint(1, 25)))
        else:
            created = _at(rng, start + timedelta(days=rng.randint(0, 4 * 365 - 60)))
        age = (AS_OF - created.date()).days
        logins: list[datetime] = []
        if profile == "regular":
            last_gap, count = rng.randint(0, 30), rng.randint(8, 40)
        elif profile == "occasional":
            last_gap, count = rng.randint(31, 89), rng.randint(3, 12)
        elif profile in ("lapsed", "disabled"):
            last_gap, count = rng.randint(95, 700), rng.randint(1, 10)
        elif profile == "new":
            last_gap, count = rng.randint(0, 5), rng.randint(0, 4)
        else:
            last_gap, count = 0, 0
        last_gap = min(last_gap, max(age - 1, 0))
        if count:
            newest = AS_OF - timedelta(days=last_gap)
            span = max(1, min(age - last_gap, 420))
            days = sorted({rng.randint(0, span) for _ in range(count)} | {0})
            logins = [_at(rng, newest - timedelta(days=d)) for d in days]
            logins = [t for t in logins if t > created] or [created + timedelta(hours=1)]
        groups = rng.sample(_GROUPS[:-1], rng.choices([1, 2, 3], weights=[60, 30, 10])[0])
        if profile == "new" or created.date() >= date(2026, 1, 1):
            groups.append(_GROUPS[-1])
        if user_type == "admin" and rng.random() < 0.6 and "Leadership" not in groups:
            groups.append("Leadership")
        people.append(
            _Person(
                ids[n],
                email,
                first,
                last,
                user_type,
                profile != "disabled",
                created,
                sorted(logins, reverse=True),
                groups,
            )
        )
    return people


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def generate() -> tuple[bytes, bytes]:
    """Return the bytes of the demo users report and activity report (always the same)."""
    rng = random.Random(SEED)
    people = _people(rng)
    dmy = "%d/%m/%Y %H:%M"
    users = [
        [
            str(p.user_id),
            p.email,
            p.first,
            p.last,
            p.user_type.capitalize(),
            "Yes" if p.enabled else "No",
            p.created.strftime(dmy),
            p.logins[0].strftime(dmy) if p.logins else "",
            str(len(p.logins) + (rng.randint(0, 40) if p.logins else 0)),
            "; ".join(p.groups),
        ]
        for p in people
    ]
    window = datetime(AS_OF.year - 1, AS_OF.month, AS_OF.day) - timedelta(days=30)
    events: list[tuple[datetime, str, str]] = []
    for p in people:
        for at in p.logins:
            if at >= window:
                email = p.email.upper() if rng.random() < 0.02 else p.email
                events.append(
                    (at + timedelta(minutes=rng.randint(1, 50)), email, rng.choice(_COURSES))
                )
    for n in range(40):
        # Rows of accounts deleted since: they match no account in the users report.
        who = f"former.staff{n + 1}@{_COMPANY}"
        events.append(
            (_at(rng, AS_OF - timedelta(days=rng.randint(60, 400))), who, rng.choice(_COURSES))
        )
    events.sort()
    activity = [[e, at.strftime("%Y-%m-%d %H:%M:%S"), c] for at, e, c in events]
    return _csv(USERS_HEADER, users), _csv(ACTIVITY_HEADER, activity)


def write_demo(directory: Path | None = None) -> tuple[Path, Path]:
    """Write the demo reports into `directory` (default data/demo); return their paths."""
    directory = DEMO_DIR if directory is None else directory
    directory.mkdir(parents=True, exist_ok=True)
    users, activity = generate()
    paths = (directory / "users.csv", directory / "activity.csv")
    paths[0].write_bytes(users)
    paths[1].write_bytes(activity)
    return paths


def load_demo(store: Store, regenerate: bool = False) -> LoadResult:
    """Load the bundled demo portal as a snapshot (rewriting its files first if asked)."""
    users, activity = (
        write_demo() if regenerate else (DEMO_DIR / "users.csv", DEMO_DIR / "activity.csv")
    )
    if not users.exists() or not activity.exists():
        users, activity = write_demo()
    return load_reports(
        store,
        ReportFile.from_path(users),
        [ReportFile.from_path(activity)],
        as_of=AS_OF,
        source="demo",
        label="Demo portal",
        is_demo=True,
    )


def ensure_demo(store: Store) -> LoadResult | None:
    """Load the demo portal when the store has no snapshot yet; return the result or None."""
    if not store.is_empty():
        return None
    return load_demo(store)
