"""Bad requests to the API are answered like every other API error: a 4xx in JSON of the one shape
({detail, errors}), never a server error or the site's HTML page, and the schema documents them. Found by a
security probe and by Schemathesis: JSON nested thousands deep, a body over the upload limit, and addresses
under /api/ that match no endpoint (a newline or other control characters in a slug or an id)."""

import json

import pytest


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert isinstance(body["errors"], list)
    return body


def send(client, method, url, secret, data, **headers):
    return getattr(client, method.lower())(
        url, data=data, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}", **headers
    )


# Bodies ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_json_nested_thousands_deep_is_a_400_in_json(server_client, plan, secret, depth):
    mitigation = plan["mitigation"]
    body = '{"notes": ' + "[" * depth + "]" * depth + "}"

    response = send(
        server_client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        body,
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    body = assert_json_error(response, 400)
    assert "nested" in body["detail"]
    mitigation.refresh_from_db()
    assert mitigation.notes == ""


def test_json_nested_deeper_than_the_limit_is_refused_even_when_python_could_parse_it(server_client, plan, secret):
    item = plan["item"]

    response = send(server_client, "POST", f"/api/items/{item.pk}/mitigations/", secret, "[" * 200 + "]" * 200)

    assert "nested" in assert_json_error(response, 400)["detail"]


def test_ordinary_json_is_still_read(client, plan, secret):
    mitigation = plan["mitigation"]

    response = send(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        '{"notes": "Agreed with the team"}',
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 200
    assert response.json()["notes"] == "Agreed with the team"


def test_a_body_over_the_upload_limit_is_a_413_in_json(server_client, plan, secret, settings):
    item = plan["item"]
    body = '{"action": "' + "x" * (3 * 1024 * 1024) + '"}'
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = send(server_client, "POST", f"/api/items/{item.pk}/mitigations/", secret, body)

    assert_json_error(response, 413)
    assert not item.mitigations.filter(action__startswith="xxx").exists()


def test_a_body_over_the_limit_refused_before_the_api_reads_it_is_a_413_in_json_too(rf):
    """Django raises RequestDataTooBig wherever the body is first read; outside a DRF view (a middleware
    reading request.POST) it reaches the root URLconf's handler400."""
    from django.core.exceptions import RequestDataTooBig

    from peerplan import urls
    from peerplan.api import errors

    assert urls.handler400 == "peerplan.api.errors.bad_request"
    response = errors.bad_request(rf.post("/api/items/1/mitigations/"), RequestDataTooBig("too big"))

    assert_json_error(response, 413)
    assert errors.bad_request(rf.post("/app/items/1/"), RequestDataTooBig("too big"))["Content-Type"].startswith(
        "text/html"
    )


# Addresses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/nope/",
        "/api/nope",
        "/api/",
        "/api/checklists/%0A%C3%9CCU%2C/",
        "/api/checklists/%0A/items/",
        "/api/items/1%0A/",
        "/api/organisations/north%01side/",
        "/api/organisations/%0A%1F%7F/members/",
        "/api/organisations/north%0Aside/checklists/",
        "/api/evidence/themes/%0A/",
        "/api/evidence/themes/%C3%9C%0D%0A/",
        "/api/mitigations/%FF%FE/",
        "/api/items/%00/",
    ],
)
@pytest.mark.parametrize("method", ["GET", "PATCH", "POST"])
def test_an_address_under_api_that_matches_nothing_is_a_404_in_json(server_client, plan, secret, url, method):
    response = getattr(server_client, method.lower())(url, HTTP_AUTHORIZATION=f"Bearer {secret}")

    body = assert_json_error(response, 404)
    assert body["errors"] == []


def test_an_unknown_address_outside_the_api_is_still_the_sites_page(client, db):
    response = client.get("/app/nope%0A/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# Server errors and other refusals outside DRF ----------------------------------------------------


def test_a_server_error_under_api_is_a_500_in_json(server_client, plan, secret, monkeypatch):
    from peerplan.api import views

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "_organisation_data", broken)

    response = server_client.get("/api/organisations/northside/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    body = assert_json_error(response, 500)
    assert "a bug" not in body["detail"]


def test_an_unreachable_database_under_api_is_a_503_in_json_to_retry(server_client, plan, secret, monkeypatch):
    from django.db import OperationalError

    from peerplan.api import views

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "_organisation_data", unreachable)

    response = server_client.get("/api/organisations/northside/", HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert_json_error(response, 503)
    assert response["Retry-After"] == "60"


def test_a_server_error_outside_the_api_is_still_the_sites_page(server_client, owner, monkeypatch):
    from peerplan.views import home

    def broken(request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(home, "render", lambda *args, **kwargs: broken(None))

    response = server_client.get("/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_a_suspicious_request_under_api_is_a_400_in_json(server_client, db):
    response = server_client.get("/api/organisations/", HTTP_HOST="evil.example")

    assert_json_error(response, 400)


# The schema --------------------------------------------------------------------------------------


def test_the_schema_documents_the_json_errors_of_every_operation(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            codes = {"500"}
            if "{" in path:
                codes.add("404")
            if "requestBody" in operation:
                codes |= {"400", "413"}
            for code in codes:
                assert code in responses, f"{method.upper()} {path} does not document {code}"
                content = responses[code]["content"]
                assert list(content) == ["application/json"], f"{method.upper()} {path} {code}"
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
