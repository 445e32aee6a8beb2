"""/healthz for load balancers: fast, 200 only when the database answers, 503 otherwise."""

import time
from unittest import mock

from django.db import OperationalError


def test_healthz_is_ok_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]  # a balancer must never see a cached answer


def test_healthz_answers_503_when_the_database_does_not(client, db):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "OperationalError"}


def test_healthz_answers_503_when_no_connection_can_be_made(client, db):
    with mock.patch("django.db.backends.base.base.BaseDatabaseWrapper.cursor", side_effect=OperationalError("refused")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_does_not_need_a_signed_in_person_and_is_quick(client, db, django_assert_num_queries):
    client.get("/healthz")  # connect first; the check itself is what is timed
    started = time.perf_counter()
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get("/healthz")
    elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed < 0.5
