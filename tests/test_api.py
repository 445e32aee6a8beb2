"""The API as a script would use it: reading an organisation's plans, changing mitigations and decisions
through the pages' rules and messages, conflicts on stale writes, history under the token's person,
pagination, filtering, rate limits and JSON errors."""

from datetime import date, timedelta

import pytest

from peerplan.api.models import Access
from peerplan.models import Mitigation, MitigationStatus, Role
from peerplan.operations import checklists, mitigations, organisations
from tests.api_helpers import call, token_for
from tests.factories import item_for, make_checklist, make_mitigation


def test_without_a_token_organisation_data_is_a_401_in_json(client, plan):
    response = client.get("/api/organisations/")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert response.json()["errors"] == []


def test_a_wrong_token_is_a_401_that_says_why(client, plan):
    response = call(client, "GET", "/api/organisations/", "pp_not-a-real-token")

    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


def test_a_signed_in_browser_session_does_not_reach_the_api(client, plan, owner):
    client.force_login(owner)

    assert client.get("/api/organisations/").status_code == 401


def test_the_token_lists_its_organisation_with_the_persons_role(client, plan, secret):
    response = call(client, "GET", "/api/organisations/", secret)

    assert response.status_code == 200
    assert response.json() == [
        {"slug": "northside", "name": "Northside Mental Health Service", "role": "planner", "token_access": "write"}
    ]
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_checklists_come_with_their_coverage(client, plan, secret):
    response = call(client, "GET", "/api/organisations/northside/checklists/", secret)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [checklist] = body["results"]
    assert checklist["title"] == "Community team plan"
    assert checklist["coverage"] == {"covered": 1, "applicable": 16, "percent": 6, "done": 0, "done_percent": 0}


def test_coverage_counts_a_challenge_done_once_one_of_its_actions_is_done(client, plan, secret):
    make_mitigation(plan["item"], "Agree the role description with the team", status=MitigationStatus.DONE)

    [checklist] = call(client, "GET", "/api/organisations/northside/checklists/", secret).json()["results"]
    assert checklist["coverage"] == {"covered": 1, "applicable": 16, "percent": 6, "done": 1, "done_percent": 6}
    body = call(client, "GET", "/api/organisations/northside/dashboard/", secret).json()
    role_row = next(row for row in body["coverage_grid"] if row["theme"] == "Role ambiguity")
    assert role_row["cells"][0] | {"checklist": None} == {
        "checklist": None,
        "state": "done",
        "covered": 1,
        "done": 1,
        "applicable": 1,
    }


def test_items_show_their_decision_and_the_evidence_references(client, plan, secret):
    response = call(client, "GET", f"/api/checklists/{plan['checklist'].pk}/items/?valence=challenge", secret)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 16
    role = next(i for i in body["results"] if i["finding"]["theme"]["name"] == "Role ambiguity")
    assert role["applies"] is True
    assert role["mitigation_count"] == 1
    assert role["finding"]["valence"] == "challenge"
    assert role["finding"]["reference_numbers"] and all(
        isinstance(n, int) for n in role["finding"]["reference_numbers"]
    )
    assert "PSWs" in role["finding"]["stakeholder_groups"]


def test_a_mitigation_shows_its_owner_date_status_and_the_challenges_it_addresses(client, plan, secret):
    mitigation = plan["mitigation"]

    response = call(client, "GET", f"/api/mitigations/{mitigation.pk}/", secret)

    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == {"id": mitigation.owner_id, "name": "Pat"}
    assert body["due_date"] == "2026-01-15"
    assert body["status"] == "planned"
    assert body["challenges"] == [
        {
            "item": plan["item"].pk,
            "theme": "Role ambiguity",
            "theme_id": plan["item"].finding.theme_id,
            "theme_slug": "role-ambiguity",
            "valence": "challenge",
        }
    ]
    assert response["ETag"] == f'"mitigation-{mitigation.pk}-v1"' == body["etag"]


def test_changing_a_mitigation_with_its_etag_saves_it_and_records_the_tokens_person(client, plan, secret, planner):
    mitigation = plan["mitigation"]

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "in_progress", "due_date": "2026-03-01", "notes": "Drafted with HR"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 200, response.json()
    mitigation.refresh_from_db()
    assert (mitigation.status, mitigation.due_date, mitigation.notes) == (
        "in_progress",
        date(2026, 3, 1),
        "Drafted with HR",
    )
    assert mitigation.action == "Write a role description"  # left out, so kept
    assert mitigation.version == 2
    assert response["ETag"] == f'"mitigation-{mitigation.pk}-v2"'
    latest = mitigation.history.latest()
    assert latest.history_user == planner


def test_the_change_shows_on_the_mitigations_history_page_under_the_tokens_person(client, plan, secret, owner):
    mitigation = plan["mitigation"]
    call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "done"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    client.force_login(owner)
    page = client.get(f"/app/mitigations/{mitigation.pk}/history/").content.decode()

    assert "Pat changed status from Planned to Done" in page


def test_a_stale_etag_is_a_412_with_what_is_saved_now_and_nothing_changes(client, plan, secret):
    mitigation = plan["mitigation"]
    mitigations.update_mitigation(mitigation_id=mitigation.pk, changes={"status": "blocked"}, version=1)

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "done"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 412
    body = response.json()
    assert body["current"]["status"] == "blocked"
    assert body["current"]["version"] == 2
    assert response["ETag"] == f'"mitigation-{mitigation.pk}-v2"'
    mitigation.refresh_from_db()
    assert mitigation.status == "blocked" and mitigation.version == 2


def test_a_stale_version_in_the_body_is_a_412_too(client, plan, secret):
    mitigation = plan["mitigation"]
    mitigations.update_mitigation(mitigation_id=mitigation.pk, changes={"notes": "x"}, version=1)

    response = call(client, "PATCH", f"/api/mitigations/{mitigation.pk}/", secret, {"status": "done", "version": 1})

    assert response.status_code == 412
    assert Mitigation.objects.get(pk=mitigation.pk).status == "planned"


def test_a_change_without_if_match_is_refused_with_428(client, plan, secret):
    mitigation = plan["mitigation"]

    response = call(client, "PATCH", f"/api/mitigations/{mitigation.pk}/", secret, {"status": "done"})

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert Mitigation.objects.get(pk=mitigation.pk).status == "planned"


def test_bad_input_gets_the_pages_messages_with_their_fields_and_changes_nothing(client, plan, secret, outsider):
    mitigation = plan["mitigation"]

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"action": "", "owner_name": "Sam Lee", "phase": 99999, "owner": outsider.pk},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 400
    errors = {(e["field"], e["message"]) for e in response.json()["errors"]}
    assert ("action", "Give the action a title: say what will be done.") in errors
    assert ("owner", "Choose a member of this organisation.") in errors
    assert ("phase", "Choose one of the phases listed.") in errors
    mitigation.refresh_from_db()
    assert mitigation.action == "Write a role description" and mitigation.version == 1


def test_a_member_owner_and_an_outside_owner_at_once_is_refused_like_on_the_page(client, plan, secret, owner):
    mitigation = plan["mitigation"]

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"owner": owner.pk, "owner_name": "Sam Lee"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "owner_name",
            "message": "Choose a member as owner or name someone outside the organisation, not both.",
        }
    ]


def test_wrong_json_types_are_named_by_field(client, plan, secret):
    mitigation = plan["mitigation"]

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "finished", "due_date": "next week"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"status", "due_date"}


def test_a_body_that_is_not_json_is_a_400_in_json(client, plan, secret):
    mitigation = plan["mitigation"]

    response = client.patch(
        f"/api/mitigations/{mitigation.pk}/",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


def test_a_mitigation_is_added_to_an_item_through_the_pages_form(client, plan, secret, planner):
    item = plan["item"]

    response = call(
        client,
        "POST",
        f"/api/items/{item.pk}/mitigations/",
        secret,
        {
            "action": "Agree supervision arrangements",
            "owner": planner.pk,
            "due_date": "2026-06-30",
            "co_produced": True,
        },
    )

    assert response.status_code == 201, response.json()
    assert [challenge["item"] for challenge in response.json()["challenges"]] == [item.pk]
    created = Mitigation.objects.get(pk=response.json()["id"])
    assert list(created.items.all()) == [item] and created.checklist == item.checklist
    assert created.owner == planner and created.co_produced is True and created.created_by == planner
    assert created.history.latest().history_user == planner


def test_a_new_mitigation_needs_what_will_be_done(client, plan, secret):
    response = call(client, "POST", f"/api/items/{plan['item'].pk}/mitigations/", secret, {"notes": "x"})

    assert response.status_code == 400
    assert {"field": "action", "message": "Give the action a title: say what will be done."} in response.json()[
        "errors"
    ]
    assert plan["item"].mitigations.count() == 1


def test_an_item_decision_needs_a_reason_when_it_does_not_apply(client, plan, secret):
    item = plan["item"]
    etag = call(client, "GET", f"/api/items/{item.pk}/", secret)["ETag"]

    response = call(client, "PATCH", f"/api/items/{item.pk}/", secret, {"applies": False}, HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "not_applicable_reason", "message": "Say why this does not apply to your service."}
    ]
    item.refresh_from_db()
    assert item.applies is True


def test_an_item_decision_is_saved_with_a_rereview_date_a_year_on(client, plan, secret, planner):
    item = plan["item"]
    etag = call(client, "GET", f"/api/items/{item.pk}/", secret)["ETag"]

    response = call(
        client,
        "PATCH",
        f"/api/items/{item.pk}/",
        secret,
        {"applies": False, "not_applicable_reason": "Roles are already defined by the trust", "priority": "low"},
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.applies is False and item.priority == "low"
    assert item.rereview_on == date.today() + timedelta(days=365)
    assert item.history.latest().history_user == planner
    assert response["ETag"] != etag


def test_a_stale_item_etag_is_a_412_with_the_current_decision(client, plan, secret):
    item = plan["item"]
    etag = call(client, "GET", f"/api/items/{item.pk}/", secret)["ETag"]
    checklists.decide_item(item=item, applies=True, note="Someone else's note")

    response = call(client, "PATCH", f"/api/items/{item.pk}/", secret, {"priority": "high"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 412
    assert response.json()["current"]["note"] == "Someone else's note"
    item.refresh_from_db()
    assert item.priority == "medium"


def test_the_action_list_filters_are_the_pages(client, plan, secret, owner):
    item = plan["item"]
    make_mitigation(item, "Blocked one", status=MitigationStatus.BLOCKED, owner=owner, due_date=date(2026, 2, 1))
    make_mitigation(item, "Done one", status=MitigationStatus.DONE, due_date=date(2026, 5, 1))

    url = "/api/organisations/northside/mitigations/"
    blocked_or_done = call(client, "GET", f"{url}?status=blocked&status=done", secret).json()
    assert [m["action"] for m in blocked_or_done["results"]] == ["Blocked one", "Done one"]
    mine = call(client, "GET", f"{url}?owner={owner.pk}", secret).json()
    assert [m["action"] for m in mine["results"]] == ["Blocked one"]
    window = call(client, "GET", f"{url}?due_after=2026-01-20&due_before=2026-04-30", secret).json()
    assert [m["action"] for m in window["results"]] == ["Blocked one"]


def test_the_action_lists_search_and_gaps_are_filters_too_and_in_the_schema(client, plan, secret, owner):
    item = plan["item"]
    make_mitigation(item, "Owned, dated", owner=owner, due_date=date(2026, 2, 1))
    make_mitigation(item, "Nobody's yet", due_date=date(2026, 2, 1), notes="Ask the supervision lead")
    make_mitigation(item, "Undated", owner=owner)
    url = "/api/organisations/northside/mitigations/"

    def actions(query):
        return [m["action"] for m in call(client, "GET", f"{url}?{query}", secret).json()["results"]]

    assert actions("no_owner=true") == ["Nobody's yet"]
    assert actions("no_due_date=true") == ["Undated"]
    assert actions("q=supervision") == ["Nobody's yet"]
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    listed = {p["name"] for p in schema["paths"]["/api/organisations/{slug}/mitigations/"]["get"]["parameters"]}
    assert {"q", "no_owner", "no_due_date", "status", "theme"} <= listed


def test_a_bad_filter_is_a_400_naming_the_filter(client, plan, secret, outsider):
    url = "/api/organisations/northside/mitigations/"

    response = call(client, "GET", f"{url}?owner={outsider.pk}&due_after=2026-05-01&due_before=2026-01-01", secret)

    assert response.status_code == 400
    assert {(e["field"], e["message"]) for e in response.json()["errors"]} == {
        ("owner", "Choose a member of this organisation."),
        ("due_before", "“Due on or before” must not be earlier than “due on or after”."),
    }


def test_lists_are_paginated(client, plan, secret):
    for n in range(4):
        make_mitigation(plan["item"], f"Action {n}")
    url = "/api/organisations/northside/mitigations/?page_size=2"

    first = call(client, "GET", url, secret).json()
    second = call(client, "GET", first["next"], secret).json()

    assert first["count"] == 5 and len(first["results"]) == 2
    assert len(second["results"]) == 2 and second["previous"]
    assert call(client, "GET", url + "&page=9", secret).status_code == 404


def test_the_dashboard_figures_match_the_dashboard(client, plan, secret, owner):
    item = plan["item"]
    make_mitigation(item, "Stuck", status=MitigationStatus.BLOCKED, due_date=date(2020, 1, 1))

    body = call(client, "GET", "/api/organisations/northside/dashboard/", secret).json()

    [summary] = body["checklists"]
    assert summary["title"] == "Community team plan"
    assert summary["progress"]["total"] == 2 and summary["progress"]["blocked"] == 1
    assert body["overdue"]["count"] == 2  # the planned one due 2026-01-15 and the blocked one, before today
    assert body["blocked"]["count"] == 1 and body["blocked"]["actions"][0]["action"] == "Stuck"
    role_row = next(row for row in body["coverage_grid"] if row["theme"] == "Role ambiguity")
    assert role_row["cells"][0]["state"] == "covered"


def test_the_evidence_is_public_and_exactly_as_published(client, db):
    from evidence.models import Perspective

    response = client.get("/api/evidence/")

    assert response.status_code == 200
    body = response.json()
    assert len(body["themes"]) == 20
    published = Perspective.objects.select_related("finding__theme").first()
    theme = next(t for t in body["themes"] if t["slug"] == published.finding.theme.slug)
    summaries = [p["summary"] for f in theme["findings"] for p in f["perspectives"]]
    assert published.summary in summaries
    assert client.get(f"/api/evidence/themes/{published.finding.theme.slug}/").json() == theme
    assert client.get("/api/evidence/themes/no-such-theme/").status_code == 404


def test_a_token_over_its_rate_is_told_when_to_come_back(client, plan, secret, monkeypatch, org_a, owner):
    from peerplan.api.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "rate", "3/minute", raising=False)

    statuses = [call(client, "GET", "/api/organisations/", secret).status_code for _ in range(4)]
    refused = call(client, "GET", "/api/organisations/", secret)

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["detail"].lower()
    # Per token: another token (of another person) is counted on its own.
    assert call(client, "GET", "/api/organisations/", token_for(owner, org_a)).status_code == 200


def test_the_public_evidence_is_limited_per_address(client, db, monkeypatch):
    from peerplan.api.throttling import AddressRateThrottle

    monkeypatch.setattr(AddressRateThrottle, "rate", "2/minute", raising=False)

    statuses = [client.get("/api/evidence/themes/workload/").status_code for _ in range(3)]
    elsewhere = client.get("/api/evidence/themes/workload/", REMOTE_ADDR="192.0.2.7")

    assert statuses == [200, 200, 429]
    assert elsewhere.status_code == 200


def test_a_read_token_reads_but_does_not_write(client, plan, planner, org_a):
    read_only = token_for(planner, org_a, access=Access.READ)
    mitigation = plan["mitigation"]

    assert call(client, "GET", f"/api/mitigations/{mitigation.pk}/", read_only).status_code == 200
    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        read_only,
        {"status": "done"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]


def test_a_demoted_persons_write_token_stops_writing_at_once(client, plan, planner, owner, org_a, secret):
    from peerplan.models import Membership

    organisations.change_role(membership=Membership.objects.get(user=planner), role=Role.VIEWER, by=owner)
    mitigation = plan["mitigation"]

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "done"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 403
    assert call(client, "GET", f"/api/mitigations/{mitigation.pk}/", secret).status_code == 200
    assert Mitigation.objects.get(pk=mitigation.pk).status == "planned"


def test_a_person_removed_from_the_organisation_sees_nothing_with_their_token(client, plan, planner, owner, secret):
    from peerplan.models import Membership

    organisations.remove_member(membership=Membership.objects.get(user=planner), by=owner)

    assert call(client, "GET", "/api/organisations/", secret).json() == []
    assert call(client, "GET", "/api/organisations/northside/", secret).status_code == 404
    assert call(client, "GET", f"/api/mitigations/{plan['mitigation'].pk}/", secret).status_code == 404


def test_too_long_text_gets_the_pages_message(client, plan, secret):
    response = call(client, "POST", f"/api/items/{plan['item'].pk}/mitigations/", secret, {"action": "x" * 201})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "action",
            "message": "Keep the title to at most 200 characters (it has 201): put the rest in the details.",
        }
    ]


# Edits that change nothing, and fields the API does not take (issue 32, points 3 and 4) -----------


@pytest.mark.parametrize(
    "body",
    [{}, {"status": "planned"}, {"action": "Write a role description", "due_date": "2026-01-15", "owner_name": ""}],
    ids=["empty", "same-status", "same-values"],
)
def test_an_edit_that_changes_nothing_keeps_the_version_and_writes_no_history(client, plan, secret, body):
    mitigation = plan["mitigation"]
    rows = mitigation.history.count()
    etag = f'"mitigation-{mitigation.pk}-v1"'

    for _ in range(3):
        response = call(client, "PATCH", f"/api/mitigations/{mitigation.pk}/", secret, body, HTTP_IF_MATCH=etag)
        assert response.status_code == 200, response.json()
        assert response["ETag"] == etag and response.json()["version"] == 1

    mitigation.refresh_from_db()
    assert mitigation.version == 1
    assert mitigation.history.count() == rows


def test_an_edit_that_changes_nothing_with_a_stale_body_version_is_still_a_412(client, plan, secret):
    mitigation = plan["mitigation"]
    mitigations.update_mitigation(mitigation_id=mitigation.pk, changes={"notes": "x"}, version=1)

    response = call(client, "PATCH", f"/api/mitigations/{mitigation.pk}/", secret, {"version": 1})

    assert response.status_code == 412
    assert response.json()["current"]["version"] == 2


@pytest.mark.parametrize("body", [{"challenges": [2, 3]}, {"status": "done", "colour": "red", "Status": "x"}])
def test_a_change_with_fields_the_api_does_not_take_is_a_400_naming_them_and_changes_nothing(
    client, plan, secret, body
):
    mitigation = plan["mitigation"]
    rows = mitigation.history.count()

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        body,
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 400
    unknown = {name for name in body if name not in ("status",)}
    assert {e["field"] for e in response.json()["errors"]} == unknown
    assert all("not a field" in e["message"] for e in response.json()["errors"])
    mitigation.refresh_from_db()
    assert (mitigation.version, mitigation.status, mitigation.history.count()) == (1, "planned", rows)


def test_a_new_mitigation_with_fields_the_api_does_not_take_is_a_400_and_nothing_is_created(client, plan, secret):
    item = plan["item"]

    response = call(
        client, "POST", f"/api/items/{item.pk}/mitigations/", secret, {"action": "Agree it", "challenges": [2, 3]}
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["challenges"]
    assert item.mitigations.count() == 1


def test_a_decision_with_fields_the_api_does_not_take_is_a_400(client, plan, secret):
    item = plan["item"]
    etag = call(client, "GET", f"/api/items/{item.pk}/", secret)["ETag"]

    response = call(client, "PATCH", f"/api/items/{item.pk}/", secret, {"aplies": False}, HTTP_IF_MATCH=etag)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["aplies"]


def test_the_schema_says_request_bodies_take_only_their_fields(client, db):
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]

    requests = {name: schema for name, schema in schemas.items() if name.endswith("Request")}
    assert {"MitigationCreateRequest", "PatchedMitigationWriteRequest", "PatchedItemDecisionRequest"} <= set(requests)
    assert all(schema["additionalProperties"] is False for schema in requests.values())


# If-Match edge cases (issue 32, point 9) ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["mitigation", "item"])
def test_if_match_star_does_not_skip_the_check_it_is_a_400_asking_for_the_etag_read(client, plan, secret, kind):
    target = plan[kind]
    body = {"status": "done"} if kind == "mitigation" else {"note": "Star"}

    response = call(client, "PATCH", f"/api/{kind}s/{target.pk}/", secret, body, HTTP_IF_MATCH="*")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "If-Match", "message": "Send the ETag you read, not *, so a change saved since is not overwritten."}
    ]
    target.refresh_from_db()
    assert (target.status == "planned") if kind == "mitigation" else (target.note == "")


@pytest.mark.parametrize("header", ["mitigation-{pk}-v1", '"mitigation-{pk}-v1', 'W/"mitigation-{pk}-v1"', ","])
def test_an_if_match_that_is_not_a_quoted_etag_is_a_400_naming_the_format_not_a_412(client, plan, secret, header):
    mitigation = plan["mitigation"]

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "done"},
        HTTP_IF_MATCH=header.format(pk=mitigation.pk),
    )

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "If-Match"
    assert 'in double quotes, e.g. "mitigation-42-v3"' in error["message"]
    assert Mitigation.objects.get(pk=mitigation.pk).status == "planned"


def test_a_current_if_match_with_a_stale_body_version_is_a_412_both_must_be_current(client, plan, secret):
    mitigation = plan["mitigation"]
    mitigations.update_mitigation(mitigation_id=mitigation.pk, changes={"notes": "x"}, version=1)

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "done", "version": 1},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v2"',
    )

    assert response.status_code == 412
    assert response.json()["current"]["version"] == 2
    assert Mitigation.objects.get(pk=mitigation.pk).status == "planned"


def test_one_of_several_quoted_etags_may_match(client, plan, secret):
    mitigation = plan["mitigation"]

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"status": "done"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v0", "mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 200


# Every query parameter validated the same way (issue 32, point 10) --------------------------------


@pytest.mark.parametrize(
    "query, field",
    [
        ("no_owner=banana", "no_owner"),
        ("no_due_date=yes", "no_due_date"),
        ("no_owner=", "no_owner"),
        ("page_size=abc", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=201", "page_size"),
        ("page=abc", "page"),
        ("page=0", "page"),
        ("status=bogus", "status"),
    ],
)
def test_every_bad_query_parameter_of_the_action_list_is_a_400_naming_it(client, plan, secret, query, field):
    response = call(client, "GET", f"/api/organisations/northside/mitigations/?{query}", secret)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Some of what was sent is not valid.")
    assert [e["field"] for e in response.json()["errors"]] == [field]


@pytest.mark.parametrize("url", ["/api/organisations/northside/checklists/", "/api/checklists/{pk}/items/"])
@pytest.mark.parametrize("query", ["page_size=abc", "page=-1", "page_size=1000"])
def test_the_other_lists_check_their_page_parameters_too(client, plan, secret, url, query):
    response = call(client, "GET", url.format(pk=plan["checklist"].pk) + "?" + query, secret)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [query.split("=")[0]]


def test_booleans_are_true_or_false(client, plan, secret):
    url = "/api/organisations/northside/mitigations/"

    assert call(client, "GET", f"{url}?no_owner=false", secret).json()["count"] == 1
    assert call(client, "GET", f"{url}?no_owner=true", secret).json()["count"] == 0


def test_the_paginated_lists_offer_page_and_page_size_in_the_schema(client, db):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    for path in (
        "/api/organisations/{slug}/checklists/",
        "/api/organisations/{slug}/mitigations/",
        "/api/checklists/{id}/items/",
    ):
        parameters = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
        assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}


# Theme and phase ids a client can find (issue 32, point 2) -----------------------------------------


def test_every_response_that_names_a_theme_carries_its_id_which_the_theme_filter_takes(client, plan, secret):
    from evidence.models import Theme

    theme = Theme.objects.get(pk=plan["item"].finding.theme_id)
    item = call(client, "GET", f"/api/items/{plan['item'].pk}/", secret).json()
    action = call(client, "GET", f"/api/mitigations/{plan['mitigation'].pk}/", secret).json()
    dashboard = call(client, "GET", "/api/organisations/northside/dashboard/", secret).json()
    evidence = client.get(f"/api/evidence/themes/{theme.slug}/").json()
    themes = call(client, "GET", "/api/organisations/northside/themes/", secret).json()

    assert item["finding"]["theme"]["id"] == theme.pk
    assert action["challenges"][0]["theme_id"] == theme.pk
    assert next(row for row in dashboard["coverage_grid"] if row["theme_slug"] == theme.slug)["theme_id"] == theme.pk
    assert evidence["id"] == theme.pk
    assert {"id": theme.pk, "name": theme.name, "slug": theme.slug, "category": theme.category.name} in themes
    listed = call(client, "GET", f"/api/organisations/northside/mitigations/?theme={theme.pk}", secret).json()
    assert [m["id"] for m in listed["results"]] == [plan["mitigation"].pk]


def test_the_organisations_themes_are_the_filters_choices_never_another_organisations_own(client, plan, secret):
    from peerplan.forms.mitigations import ActionFilterForm

    themes = call(client, "GET", "/api/organisations/northside/themes/", secret).json()

    # What the action list's filter offers, as it shows it, and what a filter sent may choose.
    offered = ActionFilterForm(organisation=plan["checklist"].organisation).fields["theme"].choices
    assert [t["id"] for t in themes] == [value for value, _ in offered if value]
    sent = ActionFilterForm({"q": "x"}, organisation=plan["checklist"].organisation).fields["theme"].queryset
    assert [t["id"] for t in themes] == [t.pk for t in sent]


def test_the_phases_are_listed_with_the_ids_a_mitigation_takes(client, plan, secret):
    from peerplan.models import ImplementationPhase

    phase = ImplementationPhase.objects.create(name="Peer supervision (test)", position=99)

    phases = call(client, "GET", "/api/organisations/northside/phases/", secret).json()

    assert [p["name"] for p in phases] == [p.name for p in ImplementationPhase.objects.all()]
    assert phases[-1] == {"id": phase.pk, "name": "Peer supervision (test)"}
    mitigation = plan["mitigation"]
    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"phase": phase.pk},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )
    assert response.json()["phase"] == {"id": phase.pk, "name": "Peer supervision (test)"}


# One action, several challenges (issue 32, point 3) ------------------------------------------------


@pytest.fixture
def three(plan):
    checklist = plan["checklist"]
    return [plan["item"], item_for(checklist, "Workload"), item_for(checklist, "Boundaries")]


def addressed(mitigation):
    return sorted(mitigation.items.values_list("pk", flat=True))


def test_a_new_action_addresses_the_items_it_is_sent_with_as_well(client, plan, secret, three):
    first, second, third = three

    response = call(
        client,
        "POST",
        f"/api/items/{first.pk}/mitigations/",
        secret,
        {"action": "Agree supervision arrangements", "items": [second.pk, third.pk]},
    )

    assert response.status_code == 201, response.json()
    assert sorted(c["item"] for c in response.json()["challenges"]) == sorted(i.pk for i in three)
    assert addressed(Mitigation.objects.get(pk=response.json()["id"])) == sorted(i.pk for i in three)


def test_a_new_action_cannot_address_items_of_another_checklist_or_organisation(
    client, plan, secret, three, org_b, outsider
):
    elsewhere = item_for(make_checklist(org_b, "Southside plan", by=outsider), "Workload")
    other_checklist = item_for(make_checklist(plan["checklist"].organisation, "Other plan"), "Workload")

    for wrong in (elsewhere, other_checklist):
        response = call(
            client, "POST", f"/api/items/{three[0].pk}/mitigations/", secret, {"action": "A", "items": [wrong.pk]}
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "items", "message": "Choose challenges of this action's checklist."}
        ]
    assert Mitigation.objects.count() == 1


def test_patching_items_links_and_unlinks_through_the_planning_operations_with_history(
    client, plan, secret, three, planner
):
    mitigation = plan["mitigation"]
    first, second, third = three
    url = f"/api/mitigations/{mitigation.pk}/"
    etag = f'"mitigation-{mitigation.pk}-v1"'

    linked = call(client, "PATCH", url, secret, {"items": [first.pk, second.pk, third.pk]}, HTTP_IF_MATCH=etag)
    assert linked.status_code == 200, linked.json()
    assert (
        sorted(c["item"] for c in linked.json()["challenges"]) == addressed(mitigation) == sorted(i.pk for i in three)
    )
    assert mitigation.history.latest().history_change_reason.startswith("Now also addresses")
    assert mitigation.history.latest().history_user == planner

    unlinked = call(client, "PATCH", url, secret, {"items": [first.pk, third.pk]}, HTTP_IF_MATCH=linked["ETag"])
    assert unlinked.status_code == 200, unlinked.json()
    assert addressed(mitigation) == sorted([first.pk, third.pk])
    assert mitigation.history.latest().history_change_reason == "No longer addresses “Workload”"


def test_patching_the_same_items_changes_nothing(client, plan, secret):
    mitigation = plan["mitigation"]
    rows = mitigation.history.count()

    response = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"items": [plan["item"].pk]},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )

    assert response.status_code == 200
    assert mitigation.history.count() == rows


def test_an_action_keeps_one_challenge_and_a_refused_patch_changes_nothing_at_all(client, plan, secret, three):
    mitigation = plan["mitigation"]
    url = f"/api/mitigations/{mitigation.pk}/"
    etag = f'"mitigation-{mitigation.pk}-v1"'

    empty = call(client, "PATCH", url, secret, {"items": [], "status": "done"}, HTTP_IF_MATCH=etag)
    stale = call(
        client, "PATCH", url, secret, {"items": [three[1].pk]}, HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v0"'
    )

    assert empty.status_code == 400
    assert empty.json()["errors"][0]["message"].startswith("An action must address at least one challenge.")
    assert stale.status_code == 412
    mitigation.refresh_from_db()
    assert (mitigation.status, mitigation.version, addressed(mitigation)) == ("planned", 1, [plan["item"].pk])


def test_items_is_in_the_schema_of_both_write_bodies(client, db):
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]

    for name in ("MitigationCreateRequest", "PatchedMitigationWriteRequest"):
        assert schemas[name]["properties"]["items"]["type"] == "array"


def test_details_are_read_and_written_apart_from_the_title(client, plan, secret):
    item, mitigation = plan["item"], plan["mitigation"]

    created = call(
        client,
        "POST",
        f"/api/items/{item.pk}/mitigations/",
        secret,
        {"action": "Agree supervision", "details": "Monthly, with a PSW lead"},
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["action"], created.json()["details"]) == ("Agree supervision", "Monthly, with a PSW lead")

    changed = call(
        client,
        "PATCH",
        f"/api/mitigations/{mitigation.pk}/",
        secret,
        {"details": "Start with the job description"},
        HTTP_IF_MATCH=f'"mitigation-{mitigation.pk}-v1"',
    )
    assert changed.status_code == 200, changed.json()
    mitigation.refresh_from_db()
    assert (mitigation.action, mitigation.details) == ("Write a role description", "Start with the job description")
    assert call(client, "GET", f"/api/mitigations/{mitigation.pk}/", secret).json()["details"] == (
        "Start with the job description"
    )


def test_details_are_in_the_schema_of_the_mitigation_and_both_write_bodies(client, db):
    schemas = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["components"]["schemas"]

    assert "details" in schemas["Mitigation"]["required"]
    for name in ("MitigationCreateRequest", "PatchedMitigationWriteRequest"):
        assert schemas[name]["properties"]["details"] == {
            "type": "string",
            "maxLength": 4000,
            "description": "What the action involves, beyond its title.",
        }
    assert schemas["MitigationCreateRequest"]["properties"]["action"]["maxLength"] == 200


# Quick views: the dashboard's figures and "my actions" as filters (issue 32, point 12) -------------


@pytest.fixture
def spread(plan, owner, planner, org_a):
    """Actions for every quick view, on the active checklist and on a draft (which the dashboard leaves out)."""
    from peerplan.figures import tracking

    today = tracking.today()
    item = plan["item"]
    draft = item_for(make_checklist(org_a, "Draft plan", by=owner, status="draft"), "Workload")
    make_mitigation(item, "Late", owner=owner, due_date=today - timedelta(days=3))
    make_mitigation(
        item, "Late but done", owner=owner, due_date=today - timedelta(days=3), status=MitigationStatus.DONE
    )
    make_mitigation(item, "Soon", owner=planner, due_date=today + timedelta(days=5))
    make_mitigation(item, "Stuck", owner=owner, status=MitigationStatus.BLOCKED, due_date=today + timedelta(days=90))
    make_mitigation(item, "Nobody's", due_date=today + timedelta(days=90))
    make_mitigation(item, "Undated", owner=owner)
    make_mitigation(draft, "Late in a draft", due_date=today - timedelta(days=3))
    make_mitigation(draft, "Nobody's in a draft")
    return today


@pytest.mark.parametrize("view", ["overdue", "due_soon", "blocked", "no_owner", "no_due_date"])
def test_each_dashboard_figure_is_a_quick_view_with_the_same_count(client, plan, secret, spread, view):
    from peerplan.pages import dashboard

    figures = dashboard.dashboard(plan["checklist"].organisation, spread)

    listed = call(client, "GET", f"/api/organisations/northside/mitigations/?view={view}", secret).json()

    assert listed["count"] == figures[view].count
    shown = {m["id"] for m in listed["results"]}
    assert {a.pk for a in figures[view].actions} <= shown


def test_mine_is_the_my_actions_page(client, plan, secret, spread, planner):
    listed = call(client, "GET", "/api/organisations/northside/mitigations/?view=mine", secret).json()

    assert sorted(m["action"] for m in listed["results"]) == ["Soon", "Write a role description"]


def test_a_quick_view_combines_with_the_filters_and_an_unknown_one_is_a_400(client, plan, secret, spread, owner):
    url = "/api/organisations/northside/mitigations/"

    late_mine = call(client, "GET", f"{url}?view=overdue&owner={owner.pk}", secret).json()
    unknown = call(client, "GET", f"{url}?view=late", secret)

    assert [m["action"] for m in late_mine["results"]] == ["Late"]
    assert unknown.status_code == 400
    assert [e["field"] for e in unknown.json()["errors"]] == ["view"]
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    [view] = [
        p for p in schema["paths"]["/api/organisations/{slug}/mitigations/"]["get"]["parameters"] if p["name"] == "view"
    ]
    assert sorted(view["schema"]["enum"]) == sorted(
        ["overdue", "due_soon", "blocked", "no_owner", "no_due_date", "mine"]
    )


# The schema a generated client lives with: headers, typed conflicts, names, strict bodies (points 5-8) --


@pytest.fixture
def schema(client, db):
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def operations(schema):
    return {
        (method, path): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in ("get", "post", "patch", "put", "delete")
    }


def test_response_headers_are_in_the_schema(schema):
    for (method, path), operation in operations(schema).items():
        responses = operation["responses"]
        if "401" in responses:
            assert "WWW-Authenticate" in responses["401"].get("headers", {}), (method, path)
        if "429" in responses:
            assert "Retry-After" in responses["429"]["headers"], (method, path)
            assert responses["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
        if path in ("/api/items/{id}/", "/api/mitigations/{id}/") or "201" in responses:
            ok = responses["201" if "201" in responses else "200"]
            assert "ETag" in ok["headers"], (method, path)
        if "201" in responses:
            assert "Location" in responses["201"]["headers"], (method, path)


def test_a_new_action_is_answered_with_its_location(client, plan, secret):
    response = call(client, "POST", f"/api/items/{plan['item'].pk}/mitigations/", secret, {"action": "Agree it"})

    assert response.status_code == 201
    assert response["Location"] == f"http://testserver/api/mitigations/{response.json()['id']}/"
    assert call(client, "GET", response["Location"], secret).json()["etag"] == response["ETag"]


def test_a_conflicts_current_is_typed_as_the_resource(schema):
    schemas = schema["components"]["schemas"]
    ops = operations(schema)

    for path, resource in (("/api/mitigations/{id}/", "Mitigation"), ("/api/items/{id}/", "Item")):
        conflict = ops["patch", path]["responses"]["412"]["content"]["application/json"]["schema"]["$ref"]
        name = conflict.rsplit("/", 1)[-1]
        current = schemas[name]["properties"]["current"]
        assert (current.get("$ref") or current["allOf"][0]["$ref"]) == f"#/components/schemas/{resource}"
        assert set(schemas[name]["required"]) >= {"detail", "errors", "current"}


def test_operations_are_named_as_the_readme_names_them(schema):
    from pathlib import Path

    names = {operation["operationId"] for operation in operations(schema).values()}
    readme = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()

    assert names == {
        "list_organisations",
        "get_organisation",
        "list_members",
        "list_themes",
        "list_phases",
        "get_dashboard",
        "list_checklists",
        "get_checklist",
        "get_check_in_figures",
        "list_items",
        "get_item",
        "decide_item",
        "create_action",
        "list_actions",
        "get_action",
        "update_action",
        "get_evidence",
        "get_evidence_theme",
    }
    assert all(f"`{name}`" in readme for name in names)


def test_the_readmes_api_section_names_every_query_parameter_and_header_of_the_schema(schema):
    from pathlib import Path

    readme = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()
    section = readme.split("\n## The API\n", 1)[1].split("\n## ", 1)[0]
    parameters, headers = set(), set()
    for operation in operations(schema).values():
        for parameter in operation.get("parameters", []):
            (headers if parameter["in"] == "header" else parameters).add(parameter["name"])
        for response in operation["responses"].values():
            headers |= set(response.get("headers", {}))
    parameters -= {"id", "slug"}  # the path's

    assert headers == {"ETag", "If-Match", "Location", "Retry-After", "WWW-Authenticate"}
    assert [name for name in sorted(parameters) if f"`{name}" not in section] == []
    assert [name for name in sorted(headers) if f"`{name}" not in section] == []


def test_request_bodies_are_strict(schema):
    schemas = schema["components"]["schemas"]
    ops = operations(schema)

    create = ops["post", "/api/items/{id}/mitigations/"]["requestBody"]["content"]["application/json"]["schema"]
    create = schemas[create["$ref"].rsplit("/", 1)[-1]]
    assert create["required"] == ["action"] and "version" not in create["properties"]
    assert schemas["ChallengeRef"]["properties"]["valence"] == {"$ref": "#/components/schemas/ValenceEnum"}


def test_a_version_on_create_is_refused_like_any_field_it_does_not_take(client, plan, secret):
    response = call(
        client, "POST", f"/api/items/{plan['item'].pk}/mitigations/", secret, {"action": "Agree it", "version": 3}
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["version"]


@pytest.mark.parametrize("body", [{}, {"applies": False, "not_applicable_reason": "Not our service"}])
def test_a_decision_that_changes_nothing_writes_no_history_and_keeps_who_decided_when(
    client, plan, secret, owner, body
):
    item = plan["item"]
    checklists.decide_item(item=item, applies=False, reason="Not our service", by=owner)
    item.refresh_from_db()
    rows, decided = item.history.count(), (item.decided_at, item.decided_by)
    etag = call(client, "GET", f"/api/items/{item.pk}/", secret)["ETag"]

    response = call(client, "PATCH", f"/api/items/{item.pk}/", secret, body, HTTP_IF_MATCH=etag)

    assert response.status_code == 200, response.json()
    assert response["ETag"] == etag
    item.refresh_from_db()
    assert item.history.count() == rows
    assert (item.decided_at, item.decided_by) == decided


def test_a_first_decision_that_confirms_the_starting_state_is_still_recorded(client, plan, secret, planner):
    item = plan["item"]
    etag = call(client, "GET", f"/api/items/{item.pk}/", secret)["ETag"]

    response = call(client, "PATCH", f"/api/items/{item.pk}/", secret, {"applies": True}, HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    item.refresh_from_db()
    assert item.is_decided and item.decided_by == planner


def test_a_decision_that_changes_something_is_recorded(client, plan, secret, owner):
    item = plan["item"]
    checklists.decide_item(item=item, applies=False, reason="Not our service", by=owner)
    rows = item.history.count()
    etag = call(client, "GET", f"/api/items/{item.pk}/", secret)["ETag"]

    response = call(client, "PATCH", f"/api/items/{item.pk}/", secret, {"note": "Checked"}, HTTP_IF_MATCH=etag)

    assert response.status_code == 200
    item.refresh_from_db()
    assert item.note == "Checked" and item.history.count() == rows + 1


# The docs page (issue 32, point 11; what a browser shows is in tests/browser/test_api_pages.py) --------


def test_the_docs_page_leaves_the_one_main_landmark_to_swagger_ui_describes_itself_and_defers_its_scripts(client, db):
    import re

    html = client.get("/api/docs/").content.decode()

    # Swagger UI renders the page's one <main> (its operations); the page adds none of its own.
    assert "<main" not in html
    assert re.search(r'<meta name="description" content="[^"]{40,}">', html)
    scripts = re.findall(r"<script[^>]*>", html)
    # Swagger UI's two files, its start-up script and PeerPlan's accessibility mending (static/js/api-docs.js).
    assert len(scripts) == 4 and all(" defer" in script for script in scripts)
    assert "{#" not in html and "#}" not in html, "the template's comments stay out of the page"


def test_the_docs_theme_gives_method_badges_and_authorize_enough_contrast():
    from pathlib import Path

    css = Path(__file__).resolve().parent.parent.joinpath("static/css/api-docs.css").read_text()

    def luminance(hex_colour):
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a, b):
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    import re

    for method in ("get", "post", "put", "patch", "delete", "head", "options"):
        rule = re.search(rf"\.opblock-{method} \.opblock-summary-method \{{[^}}]*background: (#[0-9a-f]{{6}})", css)
        assert rule, method
        assert contrast(rule.group(1), "#ffffff") >= 4.5, method
    authorize = re.search(r"\.btn\.authorize \{[^}]*color: (#[0-9a-f]{6})", css).group(1)
    assert contrast(authorize, "#ffffff") >= 4.5
    assert re.search(r"\.opblock-summary-path[^{]*\{[^}]*font-size: 1rem", css)
