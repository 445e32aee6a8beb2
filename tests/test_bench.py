"""The benchmark's signed-in floor (bench/views.py) and the README table made from a run's latest.json."""

from bench.run import readme_table


def test_the_signed_in_floor_is_not_found_unless_the_benchmark_turns_it_on(client, settings, owner):
    client.force_login(owner)
    assert client.get("/bench/signed-in-floor/northside/").status_code == 404
    settings.ROOT_URLCONF = "bench.urls"
    assert client.get("/bench/signed-in-floor/northside/").status_code == 200


def test_the_signed_in_floor_is_behind_sign_in_and_the_organisations_access_check(client, settings, outsider):
    settings.ROOT_URLCONF = "bench.urls"
    response = client.get("/bench/signed-in-floor/northside/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    client.force_login(outsider)
    assert client.get("/bench/signed-in-floor/northside/").status_code == 404


def test_the_signed_in_floor_is_the_base_template_with_the_navigation_and_nothing_else(
    client, settings, owner, django_assert_num_queries
):
    settings.ROOT_URLCONF = "bench.urls"
    client.force_login(owner)
    # session, user, organisation and membership (one query), the bell's unread count: what every
    # organisation page does before its own work
    with django_assert_num_queries(4):
        response = client.get("/bench/signed-in-floor/northside/")
    page = response.content.decode()
    assert 'id="notification-bell"' in page and "Sign out" in page
    assert "<h1" not in page  # no page of its own


def _page(name, kind, floor, rps, **extra):
    return {
        "page": name,
        "kind": kind,
        "floor": floor,
        "status": "measured",
        "rps": rps,
        "p50_ms": 4.04,
        "p99_ms": 9.96,
        "ratio": round(rps / 1000, 3),
        "target_ratio": 0.5 if kind == "signed-in" else None,
        "p99_target_ms": 50.0 if kind == "signed-in" else None,
        "cpu_ms_per_request": 1.5,
        "non_2xx": 0,
        **extra,
    }


def test_the_readme_table_is_made_from_latest_json():
    report = {
        "when": "2026-11-26T09:00:00+00:00",
        "commit": "abc1234",
        "database": {"engine": "sqlite"},
        "cache": {"backend": "redis"},
        "server": {"gunicorn_workers": 2},
        "client": {"tool": "wrk", "connections": 8, "duration_s": 10},
        "size": {"orgs": 1000},
        "machine": {"cores": 2, "cpu": "AMD EPYC"},
        "worker_memory": [{"rss_mb": 70.5}, {"rss_mb": 71.0}],
        "pages": [
            _page("signed-in floor", "signed-in floor", "signed-in floor", 1000),
            _page(
                "dashboard",
                "signed-in",
                "signed-in floor",
                600,
                miss={"cpu_ms_per_request": 12.3, "cpu_target_ms": 15.0},
            ),
            {"page": "item", "status": "missing"},
        ],
    }
    table = readme_table(report)
    assert "sqlite database, redis cache, 2 gunicorn workers, wrk with 8 connections" in table
    assert (
        "| dashboard | 600 | 4.0 / 10.0 | 0.60 (signed-in floor) | ≥ 0.5, p99 < 50 | 1.5 | 12.3 (≤ 15) | 0 |" in table
    )
    assert "| item | missing |" in table
    assert "70.5 MB, 71.0 MB" in table
