"""Demo data: a living PeerPlan for newcomers, and the same shape at scale for benchmarks.

Organisation 1 is "Riverside Community Mental Health Service", with the documented demo accounts
(owner@demo.peerplan.test, manager@..., planner@..., viewer@...). Organisations 2..N are generated
services with accounts like owner@org-0002.demo.peerplan.test. Every organisation has the same shape:

- four members, one per role (owner, manager, planner, viewer);
- P checklists cycling through active, draft and archived (the first three are one of each);
- one item per challenge and benefit finding of the evidence, as create_checklist_from_evidence makes
  them: challenges apply, except two per checklist marked "does not apply" with a reason and a
  re-review date; three benefits per checklist are marked as outcomes the service means to realise;
- A mitigations for every item that applies, cycling through every status, owned by the members who
  can edit (and sometimes by a named person outside the organisation), with due dates from two months
  ago to four months ahead so some open ones are overdue, tagged with the implementation phases, and
  some adopted from the curated suggested mitigations of the item's theme when there are any.
- every organisation shares its figures anonymously and is a member of the demo network ("Demo peer
  support network"), which the demo organisation's owner coordinates, so `compute_shared_learning` and
  the network page have something to show.
- the demo organisation's first active checklist has a check-in (seed_demo_check_in) with three past rounds
  answered through the real operations: two challenges' answers improve after their actions were done, a
  third's get worse; the demo organisation shares its check-in trends with the demo network.

So the counts are exact: N organisations, 4N members, N*P checklists, N*P*(challenges + benefits)
items and N*P*(challenges - 2 + 3)*A mitigations (16 + 9 items and 17*A mitigations per checklist with
the published Table 6).

History runs over the last six months, as a real service's would (so progress charts, the board report
and "what changed" show a half year's work, not a jump on the day the demo was seeded): each checklist is
made about six months ago, its challenges are decided over the weeks after, and each action is created,
started, done, blocked or dropped, and sometimes has its due date moved, on days drawn from a random
sequence seeded by the organisation's number (the same demo every run). An action due in the past was
created before that date.

Rows are written with bulk inserts in one transaction per batch of organisations, and their history rows
too (written directly with explicit `history_date`s, one bulk insert per model), so every demo row has
its history like a row made in the app, which keeps the history and restore pages meaningful on demo
data. About 2.4 history rows per action: `--orgs 1000` (3 checklists each) took 94 s of CPU on SQLite on a
shared 2-core machine, where one history row per action took 65 s.
"""

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from evidence.models import Finding, Statement, Valence
from peerplan.models import (
    Answer,
    Checklist,
    ChecklistStatus,
    ImplementationPhase,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    Network,
    NetworkMembership,
    NetworkState,
    Organisation,
    Priority,
    Role,
    SuggestedMitigation,
    organisation_generations,
)
from peerplan.operations import check_ins

# For local demos and benchmarks only: printed by seed_demo and written in the README.
DEMO_PASSWORD = "peerplan-demo-local-only"


DEMO_DOMAIN = "demo.peerplan.test"


DEMO_ORGANISATION = "Riverside Community Mental Health Service"


DEMO_SLUG = "riverside-demo"


DEMO_NETWORK = "Demo peer support network"


DEMO_NETWORK_SLUG = "demo-network"


ROLES = [Role.OWNER, Role.MANAGER, Role.PLANNER, Role.VIEWER]


FIRST_NAMES = {Role.OWNER: "Olu", Role.MANAGER: "Mina", Role.PLANNER: "Priya", Role.VIEWER: "Viktor"}


LAST_NAMES = ["Adeyemi", "Brennan", "Chowdhury", "Davies", "Evans", "Fraser", "Gallagher", "Hughes"]


# Challenges marked "does not apply" and benefits chosen per checklist; the counts stay exact.
NOT_APPLICABLE_PER_CHECKLIST = 2


BENEFITS_CHOSEN_PER_CHECKLIST = 3


PHASES = [
    ("Preparation", 1),
    ("Recruitment", 2),
    ("Employment", 3),
    ("Ongoing development", 4),
]


CHECKLIST_STATUSES = [ChecklistStatus.ACTIVE, ChecklistStatus.DRAFT, ChecklistStatus.ARCHIVED]


CHECKLIST_SETTINGS = [
    ("Peer support in the community mental health team", "Community mental health team"),
    ("Peer support workers on the acute wards", "Inpatient wards"),
    ("Early intervention in psychosis: peer roles", "Early intervention service"),
    ("Crisis resolution and home treatment", "Crisis team"),
    ("Peer-led recovery college courses", "Recovery college"),
    ("Peer support for people leaving hospital", "Discharge and transition"),
    ("Perinatal mental health peer support", "Perinatal service"),
    ("Peer support in the eating disorders service", "Eating disorders service"),
    ("Peer workers in the rehabilitation unit", "Rehabilitation"),
    ("Young people's transition peer support", "Child and adolescent to adult transition"),
]


# A pattern in which every status appears and open actions dominate, as in a live plan.
MITIGATION_STATUSES = [
    MitigationStatus.PLANNED,
    MitigationStatus.IN_PROGRESS,
    MitigationStatus.DONE,
    MitigationStatus.PLANNED,
    MitigationStatus.BLOCKED,
    MitigationStatus.IN_PROGRESS,
    MitigationStatus.DONE,
    MitigationStatus.DROPPED,
    MitigationStatus.PLANNED,
    MitigationStatus.IN_PROGRESS,
]


# Days from today; negative ones make open actions overdue.
DUE_OFFSETS = [-45, 14, -20, 30, -7, 60, -60, 90, 3, 120, -3, 45, 7]


ACTIONS = [
    "Agree a written role description for PSWs with the team, including what PSWs do not do",
    "Run a joint induction session for PSWs and the clinical team on the purpose of peer support",
    "Set up monthly peer supervision with an experienced PSW from outside the team",
    "Give PSWs protected time each week for reflective practice",
    "Agree how PSWs record their contacts in the clinical record, and train them on it",
    "Name a manager who PSWs can go to about workload or boundary worries",
    "Add a standing item on peer support to the weekly team meeting",
    "Review PSW caseloads every month against the agreed maximum",
    "Publish a pay band and progression route for PSW posts",
    "Offer PSWs a wellbeing plan and a named contact for when their own health dips",
    "Ask service users who have worked with a PSW what helped, and share it with the team",
    "Co-produce the PSW job advert and interview questions with people with lived experience",
    "Agree with HR which reasonable adjustments PSWs can have from day one",
    "Train non-peer staff on what lived experience brings and on language that stigmatises",
    "Build a PSW network across the trust's teams that meets every six weeks",
    "Measure hope and empowerment with service users at the start and after three months",
    "Write down how confidentiality works when a PSW shares their own story",
]


NOT_APPLICABLE_REASONS = [
    "The service has no group work, so this does not arise here; look again if groups start.",
    "Covered by the trust-wide programme this year; we only track the local actions.",
    "Our PSWs are employed by a partner charity, which handles this; revisit at contract renewal.",
]


EXTERNAL_OWNERS = ["HR business partner", "Lived experience lead (trust-wide)", "Recovery college manager"]


PLACES = [
    "Ashford", "Bramley", "Calder Vale", "Denby", "Eastmoor", "Fenwick", "Glenholme", "Harbury",
    "Ivydale", "Juniper Hill", "Kelsall", "Larkfield", "Marsden", "Northwold", "Oakridge", "Pennine",
]  # fmt: skip


SERVICE_KINDS = [
    "Mental Health Trust",
    "Community Mental Health Service",
    "Recovery Partnership",
    "Wellbeing Service",
]


@dataclass
class DemoSize:
    organisations: int = 1
    checklists_per_org: int = 3
    actions_per_item: int = 2


@dataclass
class SeedResult:
    created: int  # organisations created by this run
    skipped: int  # organisations that already existed and were left as they were
    counts: dict


# How far back the demo's history goes: each checklist is made this many days ago, or up to a week later, so
# a six-month chart starts with the plans already made.
HISTORY_DAYS = 190
CHECKLIST_AGE_SPREAD = 8


# Challenges are decided in the weeks after the checklist is made.
DECIDED_WITHIN_DAYS = 40


# Nothing is done earlier than this: the demo check-in's third challenge must not look done between its
# first two rounds (only the two improving challenges are, seed_demo_check_in).
DONE_AT_MOST_DAYS_AGO = 110


# One action in five had its due date moved on, by three weeks.
DUE_MOVED_SHARE = 0.2
DUE_MOVED_BY = timedelta(days=21)


def _between(rng, oldest, newest):
    """A day `newest`..`oldest` days ago (days ago: the larger, the older); `newest` if the range is empty."""
    return rng.randint(newest, oldest) if oldest > newest else newest


def _action_story(rng, *, status, due_date, latest_created, earliest_created, today):
    """The versions of one action, oldest first: [(days ago, status, due date)], the last being its state
    today. Created planned; then started, done, blocked or dropped as its status says; maybe its due date
    moved on. An action due in the past was created two to six weeks before its first due date."""
    moved = due_date is not None and rng.random() < DUE_MOVED_SHARE
    first_due = due_date - DUE_MOVED_BY if moved else due_date
    created = _between(rng, latest_created, 7)
    if first_due is not None and first_due < today:
        created = max(created, (today - first_due).days + rng.randint(14, 42))
    created = min(created, earliest_created)
    events = []  # (days ago, status or None, due date or None)
    if status in (MitigationStatus.IN_PROGRESS, MitigationStatus.DONE, MitigationStatus.BLOCKED):
        started = _between(rng, created - 1, 2)
        events.append((started, MitigationStatus.IN_PROGRESS, None))
        if status == MitigationStatus.DONE:
            events.append((_between(rng, min(started - 1, DONE_AT_MOST_DAYS_AGO), 1), status, None))
        elif status == MitigationStatus.BLOCKED:
            events.append((_between(rng, started - 1, 1), status, None))
    elif status == MitigationStatus.DROPPED:
        events.append((_between(rng, created - 1, 1), status, None))
    if moved:
        events.append((_between(rng, created - 1, 1), None, due_date))
    versions = [(created, MitigationStatus.PLANNED, first_due)]
    for ago, new_status, new_due in sorted(events, key=lambda event: -event[0]):  # stable: same-day order kept
        _, last_status, last_due = versions[-1]
        versions.append((ago, new_status or last_status, new_due or last_due))
    return versions


def _history(History, row, versions):
    """`History` rows (the model's history model: `Model.history` makes a new manager class on every read, so
    callers read it once) for `row`: [(when, user, {field: value as it was})], the first its creation. Made
    directly with their dates (bulk_create_with_history dates every row now), the organisation set from the
    row's checklist without a query."""
    current = {field.attname: getattr(row, field.attname) for field in History.tracked_fields}
    organisation_id = row.checklist.organisation_id
    return [
        History(
            **{**current, **was},
            history_date=when,
            history_type="+" if index == 0 else "~",
            history_user=user,
            history_change_reason=None,
            organisation_id=organisation_id,
        )
        for index, (when, user, was) in enumerate(versions)
    ]


def _made_by(person, row):
    """The row's first history entry names the demo person who made it, as one made in the app does
    (simple-history reads `_history_user` per row in bulk_create_with_history)."""
    row._history_user = person
    return row


def organisation_slug(number):
    return DEMO_SLUG if number == 1 else f"demo-{number:04d}"


def organisation_name(number):
    if number == 1:
        return DEMO_ORGANISATION
    place = PLACES[number % len(PLACES)]
    kind = SERVICE_KINDS[(number // len(PLACES)) % len(SERVICE_KINDS)]
    return f"{place} {kind} ({number:04d})"


def account_email(number, role):
    domain = DEMO_DOMAIN if number == 1 else f"org-{number:04d}.{DEMO_DOMAIN}"
    return f"{role}@{domain}"


def demo_accounts():
    """The accounts of the demo organisation, as (email, role)."""
    return [(account_email(1, role), role.label) for role in ROLES]


def ensure_phases():
    """The four ImROC phases by name (another migration creates them too; never twice)."""
    phases = []
    for name, position in PHASES:
        phase, _ = ImplementationPhase.objects.get_or_create(name=name, defaults={"position": position})
        phases.append(phase)
    return phases


def seed_demo(size, *, batch_orgs=50, today=None, progress=None):
    """Create the demo organisations 1..size.organisations that do not exist yet; leave the others.
    `progress(done, total)` is called after each batch (a transaction) with the organisations created."""
    today = today or timezone.localdate()
    # Published evidence only: an organisation's own evidence never goes into another's checklists.
    findings = list(
        Finding.objects.current()
        .filter(theme__category__source__organisation__isnull=True)
        .select_related("theme")
        .in_published_order()
    )
    challenges = [f for f in findings if f.valence == Valence.CHALLENGE]
    benefits = [f for f in findings if f.valence == Valence.BENEFIT]
    if not challenges:
        raise ValueError("No evidence is loaded: run `manage.py migrate` first (it loads Table 6).")
    phases = ensure_phases()
    suggestions_by_theme = {}
    for suggestion in SuggestedMitigation.objects.published().prefetch_related("themes"):
        for theme in suggestion.themes.all():
            suggestions_by_theme.setdefault(theme.pk, []).append(suggestion)
    # One hash for every demo account: hashing thousands of passwords would take most of the run.
    password = make_password(DEMO_PASSWORD)

    wanted = {organisation_slug(n): n for n in range(1, size.organisations + 1)}
    existing = set(Organisation.objects.filter(slug__in=list(wanted)).values_list("slug", flat=True))
    missing = [n for slug, n in wanted.items() if slug not in existing]
    network, _ = Network.objects.get_or_create(
        slug=DEMO_NETWORK_SLUG,
        defaults={"name": DEMO_NETWORK, "description": "A made-up network of the demo organisations, for local use."},
    )
    context = _Context(today, challenges, benefits, phases, suggestions_by_theme, password, size, network)
    for start in range(0, len(missing), batch_orgs):
        batch = missing[start : start + batch_orgs]
        with transaction.atomic():
            _create_batch(batch, context)
            organisation_generations.everything_changed()  # bulk inserts send no signals
        if progress:
            progress(start + len(batch), len(missing))
    # The demo organisation's owner coordinates the demo network (its page is on their start page).
    demo_owner = get_user_model().objects.filter(username=account_email(1, Role.OWNER)).first()
    if demo_owner is not None:
        network.coordinators.add(demo_owner)
    if 1 in missing:
        seed_demo_check_in(today=today)
    return SeedResult(created=len(missing), skipped=len(existing), counts=demo_counts())


# The demo check-in: three past rounds, eight weeks apart, each answered by eight of the ten people asked.
CHECK_IN_ROUNDS_AGO = [170, 114, 58]  # days before today each round opened
CHECK_IN_ASKED = 10
# How many of the eight answering agree with each statement of a challenge, round by round: the first two
# challenges improve once their actions are done (between rounds 1 and 2); the third gets worse, so the
# dashboard's "answers got worse" list has an entry too.
CHECK_IN_AGREEING = [[2, 5, 7], [3, 6, 6], [5, 5, 3]]
CHECK_IN_ANSWERING = 8


def seed_demo_check_in(*, today):
    """The demo checklist's check-in with three past rounds, answered through the real operations (single-use
    tokens spent by check_ins.answer_round), so its tallies are exactly what real answers would make; the
    actions of the two improving challenges are done between the first and second rounds."""
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    owner = Membership.objects.get(organisation=organisation, role=Role.OWNER).user
    checklist = (
        Checklist.objects.filter(organisation=organisation, status=ChecklistStatus.ACTIVE).order_by("pk").first()
    )
    # The first challenges the statement bank asks about.
    asked_about = Statement.objects.published().values("theme_id")
    items = list(
        checklist.items.applicable_challenges().filter(finding__theme_id__in=asked_about).in_published_order()
    )[: len(CHECK_IN_AGREEING)]
    first_day = today - timedelta(days=CHECK_IN_ROUNDS_AGO[0])
    check_in = check_ins.set_up_check_in(
        checklist=checklist,
        items=items,
        emails=[f"psw{n}@{DEMO_DOMAIN}" for n in range(1, CHECK_IN_ASKED + 1)],
        every_weeks=8,
        open_days=14,
        comments_on=False,
        threshold=5,
        by=owner,
        today=first_day,
    )
    done_on = today - timedelta(days=CHECK_IN_ROUNDS_AGO[1] + 20)  # after round 1 closed, before round 2 opened
    for number, days_ago in enumerate(CHECK_IN_ROUNDS_AGO):
        opens_on = today - timedelta(days=days_ago)
        round_ = check_ins.open_round(check_in=check_in, today=opens_on)
        statements = {item.pk: list(round_.asked.filter(statement__theme=item.finding.theme_id)) for item in items}
        tokens = check_ins.issue_tokens(round_=round_, count=CHECK_IN_ANSWERING)
        for person, token in enumerate(tokens):
            answers = {}
            for item, agreeing in zip(items, CHECK_IN_AGREEING, strict=False):
                answer = Answer.AGREE if person < agreeing[number] else Answer.DISAGREE
                answers.update((asked.statement_id, answer) for asked in statements[item.pk])
            check_ins.answer_round(token=token, answers=answers, comment="", today=opens_on)
        check_ins.close_round(round_=round_, now=_at(round_.closes_on + timedelta(days=1)))
        if number == 0:
            _finish_actions(items[:2], done_on)
    return check_in


def _finish_actions(items, done_on):
    """Every action of `items` that is not dropped is done, as of `done_on` (their history says so). With no
    actions per item (--actions-per-item 0) there is none to finish, and the demo's counts stay exact.

    Each action's story is retold to fit: created (planned) a month before `done_on` at the latest, then done
    that day; what the seed had it do afterwards is removed, so its history reads in order."""
    for item in items:
        for action in item.mitigations.exclude(status=MitigationStatus.DROPPED):
            created = action.history.earliest("history_date", "history_id")
            action.history.exclude(pk=created.pk).delete()
            created.history_date = min(created.history_date, _at(done_on - timedelta(days=30), hour=10))
            created.status = MitigationStatus.PLANNED
            created.save()
            action.created_at = created.history_date
            action.status = MitigationStatus.DONE
            action.save()
            action.history.exclude(pk=created.pk).update(history_date=_at(done_on))


def _at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def demo_counts():
    demo = Organisation.objects.filter(Q(slug=DEMO_SLUG) | Q(slug__startswith="demo-"))
    return {
        "organisations": demo.count(),
        "members": Membership.objects.filter(organisation__in=demo).count(),
        "checklists": Checklist.objects.filter(organisation__in=demo).count(),
        "items": Item.objects.filter(checklist__organisation__in=demo).count(),
        "mitigations": Mitigation.objects.filter(checklist__organisation__in=demo).count(),
    }


@dataclass
class _Context:
    today: date
    challenges: list
    benefits: list
    phases: list
    suggestions_by_theme: dict
    password: str
    size: DemoSize
    network: Network


def _create_batch(numbers, ctx):
    User = get_user_model()
    organisations = Organisation.objects.bulk_create(
        # Sharing anonymously, so "what services like yours did" has figures once compute_shared_learning ran.
        [Organisation(name=organisation_name(n), slug=organisation_slug(n), share_anonymously=True) for n in numbers]
    )
    users = User.objects.bulk_create(
        [
            User(
                username=account_email(n, role),
                email=account_email(n, role),
                first_name=FIRST_NAMES[role],
                last_name=LAST_NAMES[(n + i) % len(LAST_NAMES)],
                password=ctx.password,
            )
            for n in numbers
            for i, role in enumerate(ROLES)
        ]
    )
    # Demo accounts sign in at once: their emails are confirmed, as an administrator vouches for them.
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users], batch_size=500
    )
    members = {}  # organisation number -> {role: user}
    memberships = []
    for index, (n, organisation) in enumerate(zip(numbers, organisations, strict=True)):
        people = dict(zip(ROLES, users[index * len(ROLES) : (index + 1) * len(ROLES)], strict=True))
        members[n] = people
        memberships += [Membership(organisation=organisation, user=user, role=role) for role, user in people.items()]
    Membership.objects.bulk_create(memberships)
    # Every demo organisation is a member of the demo network, as if its owner had accepted the invitation.
    now = timezone.now()
    NetworkMembership.objects.bulk_create(
        [
            NetworkMembership(
                network=ctx.network,
                organisation=organisation,
                state=NetworkState.ACCEPTED,
                invited_at=now,
                answered_at=now,
                answered_by=members[n][Role.OWNER],
                # The demo organisation also agreed to share its check-in trends (demo_check_in).
                shares_check_ins=n == 1,
            )
            for n, organisation in zip(numbers, organisations, strict=True)
        ]
    )

    # Each organisation's own sequence, so its demo is the same whatever batch it was made in.
    stories = {organisation.pk: random.Random(n) for n, organisation in zip(numbers, organisations, strict=True)}
    checklists = []
    for n, organisation in zip(numbers, organisations, strict=True):
        for j in range(ctx.size.checklists_per_org):
            title, service = CHECKLIST_SETTINGS[j % len(CHECKLIST_SETTINGS)]
            if j >= len(CHECKLIST_SETTINGS):
                title = f"{title} ({j // len(CHECKLIST_SETTINGS) + 1})"
            checklists.append(
                _made_by(
                    members[n][Role.OWNER],
                    Checklist(
                        organisation=organisation,
                        title=title,
                        service=service,
                        description=f"How {organisation.name} introduces peer support workers in this setting.",
                        status=CHECKLIST_STATUSES[j % len(CHECKLIST_STATUSES)],
                        # Every fourth checklist is past its review date, so the dashboard has one to show.
                        review_date=ctx.today + timedelta(days=-10 if (n + j) % 4 == 0 else 90 + 7 * j),
                        created_by=members[n][Role.OWNER],
                    ),
                )
            )
            made_ago = HISTORY_DAYS - stories[organisation.pk].randint(0, CHECKLIST_AGE_SPREAD)
            checklists[-1]._history_date = _at(ctx.today - timedelta(days=made_ago), hour=9)
    checklists = bulk_create_with_history(checklists, Checklist, batch_size=500)

    items = []
    item_history = []
    planners = {
        organisation.pk: members[n][Role.PLANNER] for n, organisation in zip(numbers, organisations, strict=True)
    }
    for c, checklist in enumerate(checklists):
        rng = stories[checklist.organisation_id]
        made_ago = (ctx.today - timezone.localdate(checklist._history_date)).days
        not_applicable = {(c + k * 5) % len(ctx.challenges) for k in range(NOT_APPLICABLE_PER_CHECKLIST)}
        chosen_benefits = (
            {(c + k * 3) % len(ctx.benefits) for k in range(BENEFITS_CHOSEN_PER_CHECKLIST)} if ctx.benefits else set()
        )
        for i, finding in enumerate(ctx.challenges):
            applies = i not in not_applicable
            decided_at = _at(ctx.today - timedelta(days=made_ago - rng.randint(1, DECIDED_WITHIN_DAYS)), hour=11)
            items.append(
                _made_by(
                    planners[checklist.organisation_id],
                    Item(
                        checklist=checklist,
                        finding=finding,
                        applies=applies,
                        not_applicable_reason="" if applies else NOT_APPLICABLE_REASONS[(c + i) % 3],
                        # One decision is overdue for re-review, the other is due in a year.
                        rereview_on=None if applies else ctx.today + timedelta(days=-5 if i % 2 else 365),
                        priority=[Priority.HIGH, Priority.MEDIUM, Priority.MEDIUM, Priority.LOW][(c + i) % 4],
                        # Most challenges are decided; two per checklist are left for the step-through review.
                        decided_at=None if applies and i % 8 == 7 else decided_at,
                        decided_by=None if applies and i % 8 == 7 else planners[checklist.organisation_id],
                    ),
                )
            )
        for i, finding in enumerate(ctx.benefits):
            items.append(
                _made_by(
                    planners[checklist.organisation_id],
                    Item(checklist=checklist, finding=finding, applies=i in chosen_benefits),
                )
            )
    items = Item.objects.bulk_create(items, batch_size=1000)
    ItemHistory = Item.history.model
    for item in items:
        # Made with the checklist, undecided (a challenge applies until someone says otherwise); decided later.
        made = item.checklist._history_date + timedelta(hours=1)
        if item.decided_at is None:
            item_history += _history(ItemHistory, item, [(made, item._history_user, {})])
        else:
            undecided = {"applies": True, "not_applicable_reason": "", "rereview_on": None}
            undecided |= {"decided_at": None, "decided_by_id": None}
            versions = [(made, item._history_user, undecided), (item.decided_at, item.decided_by, {})]
            item_history += _history(ItemHistory, item, versions)
    ItemHistory.objects.bulk_create(item_history, batch_size=2000)

    owners_by_checklist = {}
    for n, organisation in zip(numbers, organisations, strict=True):
        people = members[n]
        owners_by_checklist[organisation.pk] = [
            people[Role.OWNER],
            people[Role.MANAGER],
            people[Role.PLANNER],
        ]
    mitigations = []
    stories_of = []  # each new action's versions, in the same order
    addressed = []  # the item each new action addresses, in the same order
    counter = 0
    for item in items:
        if not item.applies:
            continue
        checklist = item.checklist
        made_ago = (ctx.today - timezone.localdate(checklist._history_date)).days
        decided_ago = (ctx.today - timezone.localdate(item.decided_at)).days if item.decided_at else made_ago - 1
        editors = owners_by_checklist[checklist.organisation_id]
        suggestions = ctx.suggestions_by_theme.get(item.finding.theme_id, [])
        for a in range(ctx.size.actions_per_item):
            counter += 1
            status = MITIGATION_STATUSES[counter % len(MITIGATION_STATUSES)]
            suggestion = suggestions[(counter + a) % len(suggestions)] if suggestions and counter % 3 == 0 else None
            external = counter % 11 == 0
            addressed.append(item.pk)
            due_date = None if counter % 17 == 0 else ctx.today + timedelta(days=DUE_OFFSETS[counter % 13])
            stories_of.append(
                _action_story(
                    stories[checklist.organisation_id],
                    status=status,
                    due_date=due_date,
                    latest_created=decided_ago,
                    earliest_created=made_ago - 1,
                    today=ctx.today,
                )
            )
            mitigations.append(
                _made_by(
                    checklist.created_by,
                    Mitigation(
                        checklist=checklist,
                        action=suggestion.title if suggestion else ACTIONS[counter % len(ACTIONS)],
                        owner=None if external else editors[counter % len(editors)],
                        owner_name=EXTERNAL_OWNERS[counter % len(EXTERNAL_OWNERS)] if external else "",
                        due_date=due_date,
                        status=status,
                        notes="Waiting for HR to confirm the budget." if status == MitigationStatus.BLOCKED else "",
                        phase=(suggestion.phase if suggestion and suggestion.phase else ctx.phases[counter % 4]),
                        co_produced=counter % 4 == 0,
                        lived_experience_led=counter % 6 == 0,
                        suggestion=suggestion,
                        created_by=checklist.created_by,
                    ),
                )
            )
    mitigations = Mitigation.objects.bulk_create(mitigations, batch_size=1000)
    MitigationHistory = Mitigation.history.model
    action_history = []
    for action, story in zip(mitigations, stories_of, strict=True):
        # Changes are made by the action's owner when a member owns it, else by the organisation's planner.
        changer = action.owner or planners[action.checklist.organisation_id]
        versions = [
            (
                _at(ctx.today - timedelta(days=ago), hour=10 + index),
                action.created_by if index == 0 else changer,
                {"status": status, "due_date": due},
            )
            for index, (ago, status, due) in enumerate(story)
        ]
        action_history += _history(MitigationHistory, action, versions)
    MitigationHistory.objects.bulk_create(action_history, batch_size=2000)
    # created_at (auto_now_add, so set by bulk_create to now) is the day each row's history says it was made:
    # shared learning measures adoption to done from it. One UPDATE per model.
    for model, made in ((Checklist, checklists), (Mitigation, mitigations)):
        first = model.history.filter(id=OuterRef("pk"), history_type="+").values("history_date")[:1]
        model.objects.filter(pk__in=[row.pk for row in made]).update(created_at=Subquery(first))
    Link = Mitigation.items.through
    Link.objects.bulk_create(
        [Link(mitigation_id=m.pk, item_id=item_id) for m, item_id in zip(mitigations, addressed, strict=True)],
        batch_size=5000,
    )
