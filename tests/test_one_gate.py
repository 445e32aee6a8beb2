"""One gate for who may see what, tested by walking every path rather than the cases someone remembered.

A world of organisation A carries one distinctive word, MARK, in everything that is its own: a checklist's
title, an action, a comment, a file, its own evidence (a heading, a theme, a finding's text, a reference). Then
every URL the resolver knows (pages, partials, exports, downloads, the tokens pages, the public evidence and
the API), every admin URL of every evidence model, and every notification kind with its email, is asked for
by people who must not read A's data now:

- a member of A, which requires two-factor sign-in, who has not set it up;
- a member removed a moment ago (who owned an action, was mentioned, had notifications and a token);
- another organisation's owner; a curator; someone signed out.

Not one answer may contain MARK, nothing may change, and each answers as the contract says (404 for the
outsiders, the way to two-factor set-up for the member without it). A URL, admin view or notification kind
added later is walked without anyone adding it here; the counts are pinned, so a walk that shrinks fails.
The same walk as a member who may read A finds MARK (the walk would see a leak).
"""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from evidence.models import Category, Finding, Perspective, Reference, Release, Source, Statement, Theme
from peerplan.api.models import Access
from peerplan.lib.errors import Refused
from peerplan.models import Answer, Membership, Mitigation, Network, Notification, Role, SuggestedMitigation
from peerplan.models.notifications import Kind
from peerplan.notify import context, deliver, events
from peerplan.operations import (
    attachments,
    checklists,
    comments,
    mitigations,
    networks,
    notifications,
    organisations,
    own_evidence,
)
from tests import worlds
from tests.api_helpers import call, token_for
from tests.factories import make_check_in, make_closed_round, make_user
from tests.worlds import PK_OWNERS as PLANNING_PK_OWNERS
from tests.worlds import snapshot, turn_on_two_factor

MARK = "xyzzy"
ORG_A_NAME = "Northside Mental Health Service"  # tests/conftest.py's org_a
PERSONAS = ["no_two_factor", "removed", "other_owner", "curator", "signed_out"]

# The smallest walks this file has made; a walk that finds fewer has lost coverage.
MIN_URLS = 96
MIN_ADMIN_URLS = 66


@pytest.fixture
def world(org_a, org_b, owner, planner, viewer, outsider, curator):
    """Organisation A with one of everything, MARK in all it says; Pat (planner) then removed, Tess (planner)
    still a member when A starts requiring two-factor."""
    tess = make_user("tess", "Tess")
    Membership.objects.create(organisation=org_a, user=tess, role=Role.PLANNER)
    for person in (planner, tess):  # every kind by email, so every email is tried
        notifications.set_preferences(user=person, choices={kind: "email" for kind in Kind.values})

    checklist = checklists.create_checklist_from_evidence(
        organisation=org_a, title="Xyzzy plan", by=owner, status="active"
    )
    item = checklist.items.challenges().select_related("finding__theme").first()
    suggestion = SuggestedMitigation.objects.filter(themes=item.finding.theme_id, is_published=True).first()
    overdue = date.today() - timedelta(days=3)
    action = mitigations.create_mitigation(
        item=item, changes={"action": "Xyzzy action for Pat", "owner": planner, "due_date": overdue}, by=owner
    )
    tess_action = mitigations.create_mitigation(
        item=item, changes={"action": "Xyzzy action for Tess", "owner": tess, "due_date": overdue}, by=owner
    )
    comment = comments.post_comment(
        body="Xyzzy comment for @Pat and @Tess", by=owner, organisation=org_a, mitigation=action
    )
    comments.post_comment(body="Xyzzy comment on Tess's action", by=owner, organisation=org_a, mitigation=tess_action)
    attachment = attachments.add_attachment(
        upload=SimpleUploadedFile("xyzzy.txt", b"Xyzzy minutes"), by=owner, organisation=org_a, item=item
    )
    source = own_evidence.create_own_source(
        organisation=org_a, name="Xyzzy survey", title="Xyzzy survey 2026", year=2026
    )
    own_evidence.add_own_finding(
        source=source, heading="Xyzzy heading", theme="Xyzzy theme", kind="challenge", group="PSWs", summary="Xyzzy."
    )
    Reference.objects.create(source=source, number=1, citation="Xyzzy et al. 2026")
    # A check-in asking A's own statement, with a closed round whose figures and comments show to A's members.
    own_statement = Statement.objects.create(theme=item.finding.theme, text="Xyzzy statement", organisation=org_a)
    check_in = make_check_in(checklist, by=owner, items=[item], comments_on=True, comments_read_by="the Xyzzy lead")
    make_closed_round(check_in, [{own_statement: Answer.AGREE}] * 5, comments=["Xyzzy check-in comment"] * 5)
    invitation = organisations.invite(organisation=org_a, email="new@example.org", role="planner", by=owner)
    network = Network.objects.create(name="North East network", slug="north-east")
    network.coordinators.add(owner)
    network_membership = networks.invite_organisation(network=network, organisation=org_a, by=owner)
    networks.answer_invitation(membership=network_membership, accept=True, by=owner)
    Membership.objects.filter(user__in=[planner, tess]).update(role=Role.OWNER)  # network notifications go to owners
    secrets = {
        "removed": token_for(planner, org_a),
        "no_two_factor": token_for(tess, org_a),
        "other_owner": token_for(outsider, org_b),
    }
    made = {person.pk: {} for person in (planner, tess)}
    for person in (planner, tess):
        membership = Membership.objects.get(user=person, organisation=org_a)
        about = {
            Kind.ASSIGNED: {"mitigation": action},
            Kind.MENTIONED: {"comment": comment, "mitigation": action},
            Kind.COMMENTED: {"comment": comment, "mitigation": action},
            Kind.OVERDUE: {"mitigation": action},
            Kind.REREVIEW: {"item": item},
            Kind.MEMBERSHIP: {"membership": membership, "role": Role.PLANNER},
            Kind.NETWORK: {"network_membership": network_membership},
            Kind.DIGEST: {},  # emailed by send_reminders, walked below
        }
        for kind in Kind:
            if kind not in about:
                pytest.fail(f"the gate's walk does not know what a {kind!r} notification is about: add it here")
            made[person.pk][kind] = events.record(
                recipient=person, kind=kind, organisation=org_a, actor=owner, **about[kind]
            )
    # Pat leaves; what he was told about then changes (a renamed action, an edited comment).
    organisations.remove_member(membership=Membership.objects.get(user=planner, organisation=org_a), by=owner)
    action.refresh_from_db()
    mitigations.update_mitigation(
        mitigation_id=action.pk, changes={"action": "Xyzzy renamed after Pat left"}, version=action.version, by=owner
    )
    comments.edit_comment(comment=comment, body="Xyzzy edited after Pat left", by=owner)
    org_a.require_two_factor = True
    org_a.save()
    return {
        "people": {"no_two_factor": tess, "removed": planner, "other_owner": outsider, "curator": curator},
        "secrets": secrets,
        "made": made,
        "ids": {
            "network": network.slug,
            "network_membership": network_membership.pk,
            "slug": org_a.slug,
            "checklist": checklist.pk,
            "item": item.pk,
            "mitigation": action.pk,
            "membership": Membership.objects.get(user=viewer).pk,
            "invitation": invitation.pk,
            "suggestion": suggestion.pk,
            "token": invitation.token,
            "history_id": action.history.earliest().history_id,
            "own_source": source.pk,
            "theme_slug": Theme.objects.get(category__source=source).slug,
            "comment": comment.pk,
            "attachment": attachment.pk,
            "notification": made[tess.pk][Kind.ASSIGNED].pk,
        },
    }


# Every URL, from the resolver ------------------------------------------------------------------------------

# What a URL's <int:pk> is, by the segment before it: the isolation test's table, and the tokens pages (any id
# will do: someone else's token is refused whatever it is).
PK_OWNERS = PLANNING_PK_OWNERS | {"tokens": "notification"}
# Outside /app/ and /api/: the public evidence (it must never show private evidence) and a person's own pages.
PREFIXES = {"peerplan": "/app/", "tokens": "/app/tokens/", "api": "/api/", "evidence": "/evidence/"}


def every_url():
    """(namespace, name, route) of every URL in the namespaces people use, straight from the resolver."""
    return sorted((namespace, name, route) for namespace in PREFIXES for name, route in worlds.urls_of(namespace))


def fill(namespace, name, route, ids):
    if name == "not_found":  # the API's catch-all
        return "/api/no-such-thing/"
    kwargs = {}
    for part in route.split("/"):
        if not part.startswith("<"):
            continue
        converter_and_name = part.strip("<>")
        key = converter_and_name.split(":")[-1]
        if key == "slug" and "themes/<slug:slug>" in route:  # the public theme page, asked for the private theme
            kwargs[key] = ids["theme_slug"]
        elif key in ("network", "slug", "token", "history_id"):
            kwargs[key] = ids[key]
        elif key == "suggestion_pk":
            kwargs[key] = ids["suggestion"]
        elif key == "pk":
            segment = route.split("<int:pk>")[0].rstrip("/").split("/")[-1] or namespace
            if segment not in PK_OWNERS:
                pytest.fail(f"the gate's walk does not know what the pk in {route!r} is: add it to PK_OWNERS")
            kwargs[key] = ids[PK_OWNERS[segment]]
        else:
            pytest.fail(f"the gate's walk does not know how to fill <{converter_and_name}> in {route!r}")
    return reverse(f"{namespace}:{name}", kwargs=kwargs)


def shown(response):
    """Everything a response tells its reader: its body (streamed or not) and where it redirects."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return (body.decode("utf-8", "replace") + response.get("Location", "")).lower()


def visit(client, persona, world, url, namespace):
    """GET and POST the URL as the persona would: the API with their token (if they have one)."""
    if namespace == "api":
        secret = world["secrets"].get(persona)
        return [
            call(client, method, url, secret, {"action": "x"} if method != "get" else None)
            for method in ("get", "post")
        ]
    return [client.get(url), client.post(url, {"role": "owner", "applies": "no", "action": "x", "version": 1})]


@pytest.mark.parametrize("persona", PERSONAS)
def test_nobody_who_may_not_read_the_organisation_now_sees_a_word_of_it_anywhere(client, world, persona, capsys):
    person = world["people"].get(persona)
    if person is not None:
        client.force_login(person)
    urls = every_url()
    before = snapshot()
    for namespace, name, route in urls:
        url = fill(namespace, name, route, world["ids"])
        for response in visit(client, persona, world, url, namespace):
            assert response.status_code < 500, f"{url} as {persona}"
            assert MARK not in shown(response), (
                f"{url} as {persona} ({response.status_code}) shows the organisation's data"
            )
            # (An invitation link is open to anyone holding it: the token is the credential.)
            if (
                namespace == "peerplan"
                and persona == "signed_out"
                and name != "invitation_accept"
                and response.status_code != 405
            ):
                assert response.get("Location", "").startswith("/accounts/login/"), (url, response.status_code)
    assert snapshot() == before
    with capsys.disabled():
        print(f"\n[gate] {len(urls)} URLs × GET and POST as {persona}")
    assert len(urls) >= MIN_URLS


def test_a_member_without_the_required_two_factor_is_sent_to_set_it_up_from_every_page_of_the_organisation(
    client, world
):
    client.force_login(world["people"]["no_two_factor"])
    for path in (f"/app/checklists/{world['ids']['checklist']}/", f"/app/mitigations/{world['ids']['mitigation']}/"):
        assert client.get(path)["Location"].startswith("/accounts/2fa/totp/activate/")
    # The API has no page to lead to: the organisation is not listed, and its data is a 403.
    secret = world["secrets"]["no_two_factor"]
    assert call(client, "get", "/api/organisations/", secret).json() == []
    assert call(client, "get", f"/api/checklists/{world['ids']['checklist']}/", secret).status_code == 403
    # My actions, with every action of theirs listed, shows none of the organisation's.
    assert MARK not in client.get("/app/my-actions/?show=all").content.decode().lower()


def test_the_walk_sees_what_a_member_who_may_read_sees(client, world, owner):
    """The control: the same pages as a member past the two-factor rule do show MARK, so the walk above
    would catch a leak."""
    turn_on_two_factor(owner)
    client.force_login(owner)
    ids = world["ids"]
    leaking = [
        url
        for url in (
            f"/app/checklists/{ids['checklist']}/",
            f"/app/mitigations/{ids['mitigation']}/",
            f"/app/attachments/{ids['attachment']}/download/",
            f"/app/orgs/northside/evidence/{ids['own_source']}/",
            f"/app/checklists/{ids['checklist']}/export.csv",
        )
        if MARK in shown(client.get(url))
    ]
    assert len(leaking) == 5


# A deleted organisation: nobody, its owners included, reaches a word of it -------------------------------

# The one URL that exists for a deleted organisation, and only for its owners: walked here, a POST would
# restore it (tests/test_organisation_deletion.py tests it).
RESTORE = "organisation_restore"
# Not about one organisation (tests/test_isolation.py says why: a person's own pages), or a network's own
# pages, which stay.
NOT_ABOUT_A = {"home", "organisation_create", "my_actions", "invitation_accept", "network", "network_invite"} | {
    "account_data",
    "account_delete",
    "notifications",
    "notifications_read_all",
    "notification_preferences",
    "notification_open",
    "notification_read",
}


@pytest.mark.parametrize("persona", ["owner", "manager", "viewer", "no_two_factor"])
def test_nobody_sees_a_word_of_a_deleted_organisation_anywhere_its_owners_included(
    client, world, owner, manager, viewer, persona, capsys
):
    person = {"owner": owner, "manager": manager, "viewer": viewer}.get(persona) or world["people"][persona]
    turn_on_two_factor(person)  # so deletion is the only thing between them and A
    secret = token_for(person, Membership.objects.get(user=person).organisation, access=Access.READ)
    client.force_login(person)
    assert MARK in shown(client.get(f"/app/checklists/{world['ids']['checklist']}/"))  # the control
    organisations.delete_organisation(
        organisation=Membership.objects.get(user=owner).organisation, typed_name=ORG_A_NAME, by=owner
    )
    world = {**world, "secrets": {persona: secret}}
    urls = [url for url in every_url() if url[1] != RESTORE]
    before = snapshot()
    for namespace, name, route in urls:
        url = fill(namespace, name, route, world["ids"])
        for response in visit(client, persona, world, url, namespace):
            assert response.status_code < 500, f"{url} as {persona}"
            assert MARK not in shown(response), f"{url} as {persona} ({response.status_code}) shows the deleted data"
            if namespace == "peerplan" and name not in NOT_ABOUT_A and not name.startswith("curation"):
                assert response.status_code in (404, 405), (url, persona, response.status_code)
    assert snapshot() == before
    assert call(client, "get", "/api/organisations/", secret).json() == []
    with capsys.disabled():
        print(f"\n[gate] {len(urls)} URLs × GET and POST as {persona} of a deleted organisation")
    assert len(urls) >= MIN_URLS


def test_no_notification_or_email_tells_anyone_of_a_deleted_organisation(client, world, owner):
    tess = world["people"]["no_two_factor"]
    turn_on_two_factor(tess)  # past the two-factor rule: what was waiting would show now (see below)
    organisations.delete_organisation(
        organisation=Membership.objects.get(user=owner).organisation, typed_name=ORG_A_NAME, by=owner
    )
    client.force_login(tess)
    page = client.get("/app/notifications/").content.decode()
    assert MARK not in page.lower() and "not shown" not in page
    assert context.unread_count(tess) == 0
    for notification in world["made"][tess.pk].values():
        assert client.get(f"/app/notifications/{notification.pk}/open/").status_code == 404
    mail.outbox.clear()
    deliver.send_due(now=Notification.objects.order_by("-email_after").first().email_after)
    call_command("send_reminders", stdout=open("/dev/null", "w"))
    assert not [message for message in mail.outbox if MARK in (message.subject + message.body).lower()]
    assert not Notification.objects.filter(recipient=tess, email_status="sent").exists()


# Every notification kind, on the page, in the count, opened, and by email -----------------------------------


@pytest.mark.parametrize("persona", ["no_two_factor", "removed"])
def test_no_notification_of_any_kind_tells_a_person_who_may_not_read_the_organisation_now(
    client, world, persona, capsys
):
    person = world["people"][persona]
    made = world["made"][person.pk]
    kinds = [kind for kind, notification in made.items() if notification is not None]
    client.force_login(person)
    page = client.get("/app/notifications/").content.decode()
    assert MARK not in page.lower()
    assert 'class="badge text-bg-primary' not in page  # nothing listed as new
    assert context.unread_count(person) == 0
    for notification in made.values():
        if notification is not None and Notification.objects.filter(pk=notification.pk).exists():
            assert client.get(f"/app/notifications/{notification.pk}/open/").status_code == 404
    mail.outbox.clear()
    deliver.send_due(now=Notification.objects.order_by("-email_after").first().email_after)
    call_command("send_reminders", stdout=open("/dev/null", "w"))  # the daily digest (Kind.DIGEST)
    to_them = [message for message in mail.outbox if person.email in message.to]
    assert not [message for message in to_them if MARK in (message.subject + message.body).lower()]
    assert not Notification.objects.filter(recipient=person, email_status="sent").exists()
    with capsys.disabled():
        print(f"\n[gate] {len(kinds)} notification kinds (of {len(Kind)}) and the digest as {persona}")
    assert len(kinds) >= len(Kind) - 1  # the membership notice of a removed member goes with the membership


def test_setting_up_two_factor_shows_what_was_waiting(client, world):
    """The control for the notifications: once the member sets two-factor up, the same lines are shown."""
    tess = world["people"]["no_two_factor"]
    client.force_login(tess)
    assert "not shown" in client.get("/app/notifications/").content.decode()
    turn_on_two_factor(tess)
    page = client.get("/app/notifications/").content.decode()
    assert MARK in page.lower() and "not shown" not in page
    assert context.unread_count(tess) >= len(Kind)
    assert MARK in client.get("/app/my-actions/").content.decode().lower()


# Every admin URL of every evidence model, as a curator, with an organisation's own evidence present ----------

EVIDENCE_MODELS = [Source, Category, Theme, Finding, Perspective, Reference, Statement]


def _private(model):
    """The organisation's own row of each evidence model (the world made one of each)."""
    path = {
        Source: "organisation__isnull",
        Category: "source__organisation__isnull",
        Theme: "category__source__organisation__isnull",
        Finding: "theme__category__source__organisation__isnull",
        Perspective: "finding__theme__category__source__organisation__isnull",
        Reference: "source__organisation__isnull",
        Statement: "organisation__isnull",
    }[model]
    return model.objects.filter(**{path: False}).get()


def admin_urls():
    """(model, url) for every URL of every evidence model's admin, filled with its private row's id (and
    a version of it), straight from the admin's own URL list."""
    registered = [model for model in admin.site._registry if model._meta.app_label == "evidence"]
    assert sorted(m.__name__ for m in registered) == sorted(m.__name__ for m in [*EVIDENCE_MODELS, Release])
    urls = []
    for model in EVIDENCE_MODELS:
        private = _private(model)
        version = private.history.earliest().history_id
        prefix = f"/admin/evidence/{model._meta.model_name}/"
        for pattern in admin.site._registry[model].urls:
            route = str(pattern.pattern)
            groups = pattern.pattern.regex.groups
            if "import" in route:  # the release upload and preview: published releases, not rows
                url = prefix + route.replace("<int:pk>", "1")
            elif groups == 0:
                url = prefix + route.lstrip("^").rstrip("$")
            elif "<int:pk>" in route:  # a source's download: the private source's id
                url = prefix + route.replace("<int:pk>", str(private.pk))
            elif "<path:object_id>" in route:
                url = prefix + route.replace("<path:object_id>", str(private.pk))
            else:  # simple-history's ^([^/]+)/history/([^/]+)/$
                url = f"{prefix}{private.pk}/history/{version}/"
            urls.append((model, url))
    # The list of releases: published evidence only (a release file never holds an organisation's own).
    for pattern in admin.site._registry[Release].urls:
        route = str(pattern.pattern)
        if pattern.pattern.regex.groups == 0 and "<" not in route:
            urls.append((Release, "/admin/evidence/release/" + route.lstrip("^").rstrip("$")))
        elif "<path:object_id>" in route:
            urls.append((Release, "/admin/evidence/release/" + route.replace("<path:object_id>", "1")))
    urls += [(None, "/admin/"), (None, "/admin/evidence/")]
    # Searches that match the private rows (by the start of MARK: a page echoes what was searched for).
    for model in EVIDENCE_MODELS:
        urls.append((model, f"/admin/evidence/{model._meta.model_name}/?q={MARK[:3]}"))
        urls.append(
            (model, f"/admin/autocomplete/?app_label=evidence&model_name=theme&field_name=related&term={MARK[:3]}")
        )
    return urls


def test_a_curator_never_reads_or_changes_an_organisations_own_evidence_in_the_admin(client, world, curator, capsys):
    client.force_login(curator)
    published_category = Category.objects.filter(source__organisation__isnull=True).first()
    urls = admin_urls()
    before = snapshot()
    for _model, url in urls:
        got = client.get(url)
        assert got.status_code < 500 and MARK not in shown(got), f"GET {url}"
        # A save, a delete or a revert of the private row: refused, nothing changed.
        posted = client.post(
            url,
            {"category": published_category.pk, "name": "Published now", "slug": "published-now", "post": "yes"},
        )
        assert posted.status_code < 500 and MARK not in shown(posted), f"POST {url}"
    assert snapshot() == before
    for model in EVIDENCE_MODELS:
        assert _private(model)  # still there, still the organisation's
    public = (client.get("/evidence/").content + client.get("/api/evidence/").content).decode().lower()
    assert MARK not in public
    with capsys.disabled():
        print(f"\n[gate] {len(urls)} admin URLs × GET and POST as a curator")
    assert len(urls) >= MIN_ADMIN_URLS


def test_only_curators_and_site_administrators_open_the_curation_pages(client, world, owner, admin_user):
    """Every curation page the resolver knows, walked: 404 for everyone else (nothing there is theirs, as
    for a network's pages), the way to sign in for someone signed out."""
    urls = [
        fill(namespace, name, route, world["ids"])
        for namespace, name, route in every_url()
        if namespace == "peerplan" and name.startswith("curation")
    ]
    assert urls
    for url in urls:
        assert client.get(url)["Location"].startswith("/accounts/login/")
        for person in [owner, *[p for key, p in world["people"].items() if key != "curator"]]:
            client.force_login(person)
            assert client.get(url).status_code == 404, (url, person)
        for person in (world["people"]["curator"], admin_user):
            client.force_login(person)
            assert client.get(url).status_code == 200, (url, person)
        client.logout()


def test_the_curator_still_has_the_history_of_published_evidence(client, world, curator):
    theme = Theme.objects.published().first()
    client.force_login(curator)
    assert client.get(f"/admin/evidence/theme/{theme.pk}/history/").status_code == 200
    version = theme.history.earliest().history_id
    assert client.get(f"/admin/evidence/theme/{theme.pk}/history/{version}/").status_code == 200


# The smaller seams ------------------------------------------------------------------------------------------


def test_an_own_theme_slug_tells_nothing_of_another_organisations_names(org_a, org_b):
    first = own_evidence.create_own_source(organisation=org_a, name="Survey", title="Survey", year=2026)
    own_evidence.add_own_finding(
        source=first, heading="Topic", theme="Night shifts", kind="challenge", group="PSWs", summary="A"
    )
    second = own_evidence.create_own_source(organisation=org_b, name="Survey", title="Survey", year=2026)
    own_evidence.add_own_finding(
        source=second, heading="Topic", theme="Night shifts", kind="challenge", group="PSWs", summary="B"
    )
    lonely = own_evidence.create_own_source(organisation=org_b, name="Other", title="Other", year=2026)
    own_evidence.add_own_finding(
        source=lonely, heading="Topic", theme="Day shifts", kind="challenge", group="PSWs", summary="C"
    )
    slugs = {theme.name: theme.slug for theme in Theme.objects.filter(category__source=second)}
    slugs |= {theme.name: theme.slug for theme in Theme.objects.filter(category__source=lonely)}
    # Both look the same: a name and a random ending, whether or not anyone else used the name.
    assert slugs["Night shifts"].startswith("night-shifts-") and slugs["Day shifts"].startswith("day-shifts-")
    assert len(slugs["Night shifts"]) == len("night-shifts-") + 8 and len(slugs["Day shifts"]) == len("day-shifts-") + 8


def test_the_author_cannot_delete_a_comment_a_manager_hid(client, world, owner, manager):
    comment = comments.post_comment(
        body="Unkind words",
        by=owner,
        organisation=owner.memberships.get().organisation,
        mitigation=Mitigation.objects.first(),
    )
    comments.hide_comment(comment=comment, by=manager, reason="Not kind")
    turn_on_two_factor(owner)
    client.force_login(owner)
    page = client.get(f"/app/comments/{comment.pk}/delete/").content.decode()
    assert "This comment cannot be deleted" in page and "Delete comment" not in page
    response = client.post(f"/app/comments/{comment.pk}/delete/")
    assert response.status_code == 400
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_reason == "Not kind"
    with pytest.raises(Refused):
        comments.delete_comment(comment=comment, by=owner)


def test_a_curator_cannot_read_an_organisations_evidence_through_the_history_views(client, world, curator):
    theme = _private(Theme)
    perspective = _private(Perspective)
    client.force_login(curator)
    assert client.get(f"/admin/evidence/theme/{theme.pk}/history/").status_code == 404
    version = perspective.history.earliest().history_id
    assert client.get(f"/admin/evidence/perspective/{perspective.pk}/history/{version}/").status_code == 404


def test_a_curator_cannot_publish_an_organisations_evidence_by_reverting_it(client, world, curator):
    theme = _private(Theme)
    published = Category.objects.filter(source__organisation__isnull=True).first()
    version = theme.history.earliest().history_id
    client.force_login(curator)
    response = client.post(
        f"/admin/evidence/theme/{theme.pk}/history/{version}/",
        {"category": published.pk, "name": theme.name, "slug": theme.slug, "position": 1},
    )
    assert response.status_code == 404
    theme.refresh_from_db()
    assert theme.category.source.organisation_id is not None
    client.logout()
    assert MARK not in client.get("/evidence/").content.decode().lower()
    assert MARK not in client.get("/api/evidence/").content.decode().lower()
