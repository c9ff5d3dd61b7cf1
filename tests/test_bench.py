"""The benchmark: the generator's reports, and a small run of `python -m dashboard bench --json`.

These check correctness only (the same deactivation file four ways, consistent counts), never
timings.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from dashboard.bench import _median_run, generate, summarise
from tests.conftest import ROOT

USERS = 2_000
EVENTS = 20_000


@pytest.fixture(scope="module")
def bench_json(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The JSON printed by one small benchmark run, kept in a work directory for inspection."""
    workdir = tmp_path_factory.mktemp("bench")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "bench",
            "--users",
            str(USERS),
            "--events",
            str(EVENTS),
            "--json",
            "--workdir",
            str(workdir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    payload["_workdir"] = str(workdir)
    return payload


def test_bench_prints_one_json_object_with_every_figure(bench_json: dict) -> None:
    for stage in ("load_s", "review_s", "cutoff_change_s", "cutoff_change_cold_s", "export_s"):
        assert bench_json["product"][stage] > 0, stage
    assert bench_json["product"]["job_s"] > 0
    assert bench_json["product"]["peak_rss_mib"] > 0
    for job in ("pandas", "duckdb", "duckdb_kept"):
        assert bench_json[job]["job_s"] > 0
        assert bench_json[job]["peak_rss_mib"] > 0
    assert bench_json["ratios"]["pandas_over_product"] > 0
    assert bench_json["ratios"]["product_over_duckdb"] > 0
    assert bench_json["duckdb_kept"]["store_s"] > 0
    assert bench_json["ratios"]["product_over_duckdb_kept"] > 0
    assert set(bench_json["targets"]) == {
        "at_spec_scale",
        "pandas_3x",
        "within_1_5x_duckdb",
        "cutoff_change_under_200ms",
        "peak_under_2gib",
    }
    assert all(isinstance(v, bool) for v in bench_json["targets"].values())
    assert bench_json["targets"]["at_spec_scale"] is False


def test_bench_deactivation_files_are_identical(bench_json: dict) -> None:
    files = {
        job: (Path(bench_json["_workdir"]) / f"deactivate-{job}.csv").read_bytes()
        for job in ("product", "pandas", "duckdb", "duckdb_kept")
    }
    assert bench_json["deactivation"]["identical"] is True
    assert files["product"] == files["pandas"] == files["duckdb"] == files["duckdb_kept"]
    assert len(set(bench_json["deactivation"]["sha256"].values())) == 1
    assert files["product"].startswith(b"email,enabled\r\n")
    assert files["product"].endswith(b",false\r\n")


def test_bench_counts_agree_with_the_generated_data(bench_json: dict) -> None:
    counts = bench_json["counts"]
    assert bench_json["counts_consistent"] is True
    assert counts["users"] == {"generated": USERS, "loaded": USERS}
    assert counts["activity_rows"] == {"generated": EVENTS, "loaded": EVENTS}
    assert counts["activity_unmatched"]["loaded"] == counts["activity_unmatched"]["generated"] > 0
    assert len(set(counts["flagged"].values())) == 1
    flagged = bench_json["review"]["flagged"]
    categories = bench_json["review"]["categories"]
    assert 0 < flagged < USERS
    assert flagged == categories["inactive"] + categories["never_signed_in"]
    assert sum(categories.values()) == USERS
    assert bench_json["deactivation"]["rows"] == flagged


def test_generator_is_deterministic_and_has_the_realistic_mix(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 500, 3_000)
    second = generate(tmp_path / "b", 500, 3_000)
    assert first.users_csv.read_bytes() == second.users_csv.read_bytes()
    assert first.activity_csv.read_bytes() == second.activity_csv.read_bytes()

    with first.users_csv.open(encoding="utf-8", newline="") as fh:
        users = list(csv.DictReader(fh))
    assert list(users[0]) == [
        "Email",
        "First Name",
        "Last Name",
        "User Type",
        "Enabled",
        "Date Created",
        "Last Login",
        "Sign In Count",
        "Groups",
        "User ID",
    ]
    assert len(users) == 500
    assert len({u["Email"].lower() for u in users}) == 500
    assert {u["Enabled"] for u in users} == {"Yes", "No"}
    assert "Admin" in {u["User Type"] for u in users}
    assert any(u["Last Login"] == "" and u["Sign In Count"] == "0" for u in users)
    assert any(u["Email"] != u["Email"].lower() for u in users)
    assert any("," in u["Groups"] for u in users)
    lapsed = [u for u in users if u["Last Login"] and u["Last Login"] < "2026-04-01"]
    assert lapsed
    for u in users:
        date.fromisoformat(u["Date Created"][:10])
        assert u["Date Created"].endswith("Z")

    with first.activity_csv.open(encoding="utf-8", newline="") as fh:
        activity = list(csv.DictReader(fh))
    assert list(activity[0]) == ["Email", "Login Date", "Course"]
    assert len(activity) == 3_000
    known = {u["Email"].lower() for u in users}
    unknown = [a for a in activity if a["Email"].lower() not in known]
    assert len(unknown) == first.unmatched == 30


def test_generator_reuses_files_of_the_same_size(tmp_path: Path) -> None:
    data = generate(tmp_path, 200, 1_000)
    stamp = data.users_csv.stat().st_mtime_ns
    again = generate(tmp_path, 200, 1_000)
    assert again.reused and not data.reused
    assert again.users_csv == data.users_csv and again.unmatched == data.unmatched
    assert again.users_csv.stat().st_mtime_ns == stamp
    bigger = generate(tmp_path, 300, 1_000)
    assert bigger.users == 300
    assert sum(1 for _ in bigger.users_csv.open(encoding="utf-8")) == 301


def _job(flagged: int, seconds: float, **extra: object) -> dict:
    return {"job_s": seconds, "flagged": flagged, "peak_rss_bytes": 100 * 2**20, **extra}


def test_summary_reports_a_differing_deactivation_file_and_unmet_targets(tmp_path: Path) -> None:
    data = generate(tmp_path, 50, 200)
    product = _job(
        1,
        2.0,
        load_s=1.5,
        review_s=0.2,
        export_s=0.3,
        cutoff_change_s=0.25,
        cutoff_change_runs_s=[0.25],
        cutoff_change_cold_s=0.5,
        load_progress=[],
        loaded={"users": 50, "activity_rows": 200, "activity_unmatched": data.unmatched},
        review={"flagged": 1},
    )
    good = b"email,enabled\r\na@example.com,false\r\n"
    files = {
        "product": good,
        "pandas": good,
        "duckdb": good.replace(b"false", b"FALSE"),
        "duckdb_kept": good,
    }
    jobs = {
        "product": product,
        "pandas": _job(1, 3.0),
        "duckdb": _job(1, 1.0),
        "duckdb_kept": _job(1, 1.6),
    }

    result = summarise(data, jobs, files, generate_s=0.1)

    assert result["deactivation"]["identical"] is False
    assert result["counts_consistent"] is True
    assert result["ratios"] == {
        "pandas_over_product": 1.5,
        "product_over_duckdb": 2.0,
        "duckdb_kept_over_duckdb": 1.6,
        "product_over_duckdb_kept": 1.25,
    }
    assert result["targets"]["pandas_3x"] is False
    assert result["targets"]["within_1_5x_duckdb"] is False
    assert result["targets"]["cutoff_change_under_200ms"] is False
    assert result["targets"]["peak_under_2gib"] is True


def test_repeated_rounds_report_each_jobs_median_run(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "bench",
            "--users",
            "300",
            "--events",
            "3000",
            "--repeat",
            "3",
            "--json",
            "--workdir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["repeat"] == 3
    assert payload["deactivation"]["identical"] is True
    for job in ("product", "pandas", "duckdb", "duckdb_kept"):
        times = payload["runs_job_s"][job]
        assert len(times) == 3
        assert payload[job]["job_s"] == sorted(times)[1]


def test_median_run_takes_the_lower_middle_of_an_even_count() -> None:
    runs = [{"job_s": t, "n": i} for i, t in enumerate([4.0, 1.0, 3.0, 2.0])]
    assert _median_run(runs) == {"job_s": 2.0, "n": 3}
    assert _median_run(runs[:1]) == runs[0]
