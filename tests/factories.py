"""People and planning data for tests, made by the real operations where there is one (a checklist is made by
checklists.create_checklist_from_evidence, the recipe the product uses), and with the ORM otherwise. Plain
functions a test module imports; the fixtures made with them live in tests/conftest.py."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from evidence.models import Finding, Valence
from peerplan.figures import tracking
from peerplan.models import ChecklistStatus, Membership, Mitigation, MitigationStatus
from peerplan.operations import check_ins, checklists, own_evidence

PASSWORD = "correct-horse-battery-staple"


def make_user(username, first_name=""):
    """A person with a confirmed sign-in email (as every account has after its email is confirmed, and as
    the migration to allauth left every existing account)."""
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.org", password=PASSWORD, first_name=first_name
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def make_member(org, username, role, first_name):
    """A person (as make_user) who is a member of the organisation in the role."""
    user = make_user(username, first_name)
    Membership.objects.create(organisation=org, user=user, role=role)
    return user


def make_checklist(org, title, by=None, status=ChecklistStatus.ACTIVE, review_date=None, service=""):
    """An active checklist by default (the product starts one as a draft): tests track work on it."""
    return checklists.create_checklist_from_evidence(
        organisation=org, title=title, by=by, status=status, review_date=review_date, service=service
    )


def item_for(checklist, theme_name, valence=Valence.CHALLENGE):
    return checklist.items.select_related("finding__theme").get(
        finding__theme__name=theme_name, finding__valence=valence
    )


def make_mitigation(item, action="Write a role description", status=MitigationStatus.PLANNED, **fields):
    mitigation = Mitigation.objects.create(checklist=item.checklist, action=action, status=status, **fields)
    mitigation.items.add(item)
    return mitigation


def bulk_mitigations(rows):
    """Actions made in bulk, each addressing one item: rows of (item, fields)."""
    rows = list(rows)
    made = Mitigation.objects.bulk_create(
        [Mitigation(checklist_id=item.checklist_id, **fields) for item, fields in rows]
    )
    Link = Mitigation.items.through
    Link.objects.bulk_create(
        [Link(mitigation_id=m.pk, item_id=item.pk) for m, (item, _) in zip(made, rows, strict=True)]
    )
    return made


def challenge_theme_names():
    """Challenge themes in published order."""
    names = []
    for finding in (
        Finding.objects.filter(valence=Valence.CHALLENGE)
        .select_related("theme")
        .order_by("theme__category__position", "theme__position", "position")
    ):
        if finding.theme.name not in names:
            names.append(finding.theme.name)
    return names


def finding_admin_form(finding, *, summary=None, **changes):
    """The Finding admin's change form as it comes filled in, its one sample below it (`summary` replaces that
    sample's text), with `changes` on top: what a curator posts after editing some of it."""
    perspective = finding.perspectives.get()
    form = {
        "theme": finding.theme_id,
        "position": finding.position,
        "valence": finding.valence,
        "references": [r.pk for r in finding.references.all()],
        "perspectives-TOTAL_FORMS": "1",
        "perspectives-INITIAL_FORMS": "1",
        "perspectives-MIN_NUM_FORMS": "0",
        "perspectives-MAX_NUM_FORMS": "1000",
        "perspectives-0-id": perspective.pk,
        "perspectives-0-finding": finding.pk,
        "perspectives-0-position": perspective.position,
        "perspectives-0-group": perspective.group,
        "perspectives-0-references": [r.pk for r in perspective.references.all()],
        "perspectives-0-summary": perspective.summary if summary is None else summary,
        "perspectives-0-stakeholders": list(perspective.stakeholders),
    }
    return {**form, **changes}


def make_own_source(organisation, *, summary, theme="Debrief after night shifts", title="Survey", **fields):
    """The organisation's own source "Staff survey 2026" with one challenge (`theme`, reported by PSWs under
    the heading "Support"), made by the real operations."""
    source = own_evidence.create_own_source(
        organisation=organisation, name="Staff survey 2026", title=title, year=2026, **fields
    )
    own_evidence.add_own_finding(
        source=source, heading="Support", theme=theme, kind="challenge", group="PSWs", summary=summary
    )
    return source


def make_check_in(checklist, *, emails=None, items=None, by=None, today=None, **settings):
    """A check-in set up by the real operation: every applicable challenge by default, five people asked by
    default, comments off, the site's threshold."""
    fields = {"every_weeks": 8, "open_days": 14, "comments_on": False, "comments_read_by": "", "threshold": 5}
    fields.update(settings)
    return check_ins.set_up_check_in(
        checklist=checklist,
        items=list(checklist.items.applicable_challenges()) if items is None else items,
        emails=[f"psw{n}@example.org" for n in range(1, 6)] if emails is None else emails,
        by=by,
        today=today or tracking.today(),
        **fields,
    )


def make_closed_round(check_in, answers, *, comments=(), opens_on=None, closed_at=None):
    """A round of the check-in, answered and closed, made by the real operations: `answers` holds one dict per
    person ({statement or statement id: Answer}; a statement left out was not answered), `comments` one
    text per person who commented (at most one each). Opens `opens_on` (default: 30 days ago plus 7 per
    earlier round, so rounds keep their order) and is closed by `closed_at` (default: now)."""
    if opens_on is None:
        opens_on = tracking.today() - timedelta(days=200) + timedelta(days=30 * check_in.rounds.count())
    round_ = check_ins.open_round(check_in=check_in, today=opens_on)
    comments = list(comments)
    tokens = check_ins.issue_tokens(round_=round_, count=max(len(answers), len(comments)))
    for n, token in enumerate(tokens):
        person = answers[n] if n < len(answers) else {}
        check_ins.answer_round(
            token=token,
            answers={getattr(statement, "pk", statement): answer for statement, answer in person.items()},
            comment=comments[n] if n < len(comments) else "",
            today=opens_on,
        )
    round_.refresh_from_db()
    return check_ins.close_round(round_=round_, now=closed_at or timezone.now())
