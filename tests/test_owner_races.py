"""An organisation always has an owner, whatever two owners do at the same moment (issue 12, defects 2
and 3), over real HTTP: gunicorn with several workers, production settings, and a fresh database of the
same kind as this run's (SQLite file, or a PostgreSQL database of its own).

Two owners, each in their own browser, send their requests at the same instant (a barrier releases both
threads), round after round, one fresh organisation per round:
- each demotes the other to planner;
- each demotes themselves;
- each removes the other.
Afterwards every organisation still has an owner, no request was answered 5xx, and whoever lost a race
got a clear answer: a redirect to the members page with a message, or the "no longer a member" page."""

import json
import threading
import time
from collections import Counter

import pytest

from tests.production import Browser, gunicorn, manage, production_env, unexpected_tracebacks

ROUNDS = 8  # per scenario
SCENARIOS = ("demote_each_other", "demote_themselves", "remove_each_other")
DEADLINE_SECONDS = 120
PASSWORD = "a-long-race-test-password-1"

SET_UP = """
import json
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from peerplan.models import Membership, Organisation
User = get_user_model()
olive = User.objects.create_user("olive", "olive@example.org", "{password}", first_name="Olive")
owen = User.objects.create_user("owen", "owen@example.org", "{password}", first_name="Owen")
for user in (olive, owen):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
out = {{}}
for n in range({count}):
    organisation = Organisation.objects.create(name=f"Race {{n}}", slug=f"race-{{n}}")
    a = Membership.objects.create(organisation=organisation, user=olive, role="owner")
    b = Membership.objects.create(organisation=organisation, user=owen, role="owner")
    out[organisation.slug] = {{"olive": a.pk, "owen": b.pk}}
print(json.dumps(out))
"""

OWNERS = """
import json
from peerplan.models import Organisation
print(json.dumps({o.slug: list(o.memberships.filter(role="owner").values_list("user__username", flat=True))
                  for o in Organisation.objects.filter(slug__startswith="race-")}))
"""


@pytest.fixture(scope="module")
def race_site(database_env, collected_static, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("races")
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_ROOT=collected_static,
        **database_env,
    )
    set_up = manage("shell", "-c", SET_UP.format(password=PASSWORD, count=ROUNDS * len(SCENARIOS)), env=env)
    assert set_up.returncode == 0, set_up.stderr
    with gunicorn(env, tmp / "gunicorn.log", workers=3) as server:
        server.env = env
        server.memberships = json.loads(set_up.stdout.strip().splitlines()[-1])
        yield server


def signed_in(site, username):
    browser = Browser(site.url)
    _, _, page = browser.request("/accounts/login/")
    status, _, _ = browser.request(
        "/accounts/login/",
        {"login": f"{username}@example.org", "password": PASSWORD, "csrfmiddlewaretoken": browser.csrf_token(page)},
    )
    assert status == 302
    return browser


def test_two_owners_acting_at_once_never_leave_an_organisation_without_an_owner(race_site, capsys):
    people = {name: signed_in(race_site, name) for name in ("olive", "owen")}
    other = {"olive": "owen", "owen": "olive"}
    answers, unclear, started = [], [], time.monotonic()
    slugs = iter(race_site.memberships)
    for scenario in SCENARIOS:
        for _ in range(ROUNDS):
            assert time.monotonic() - started < DEADLINE_SECONDS, "the races took too long"
            slug = next(slugs)
            ids = race_site.memberships[slug]
            requests = {}
            for name, browser in people.items():
                _, _, page = browser.request(f"/app/orgs/{slug}/members/")
                token = browser.csrf_token(page)
                if scenario == "demote_each_other":
                    requests[name] = (f"/app/orgs/{slug}/members/{ids[other[name]]}/role/", {"role": "planner"})
                elif scenario == "demote_themselves":
                    requests[name] = (f"/app/orgs/{slug}/members/{ids[name]}/role/", {"role": "planner"})
                else:
                    requests[name] = (f"/app/orgs/{slug}/members/{ids[other[name]]}/remove/", {})
                requests[name][1]["csrfmiddlewaretoken"] = token
            barrier = threading.Barrier(2)
            results = {}

            def act(name, requests=requests, barrier=barrier, results=results):
                path, data = requests[name]
                barrier.wait(timeout=10)
                results[name] = people[name].request(path, data)

            threads = [threading.Thread(target=act, args=(name,)) for name in people]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert len(results) == 2
            for status, headers, body in results.values():
                answers.append((scenario, status))
                if status == 409:  # lost inside the transaction
                    unclear.extend([] if b"You are no longer a member of" in body else [(scenario, body[:300])])
                elif status == 302:  # done, or refused with a message on the members page
                    unclear.extend([] if headers["Location"] in (f"/app/orgs/{slug}/members/", "/app/") else [scenario])
                elif status not in (403, 404):  # lost before the page loaded: no longer a manager / a member
                    unclear.append((scenario, status, body[:300]))

    owners = json.loads(manage("shell", "-c", OWNERS, env=race_site.env).stdout.strip().splitlines()[-1])
    statuses = Counter(f"{scenario} {status}" for scenario, status in answers)
    figures = {
        "races": ROUNDS * len(SCENARIOS),
        "requests": len(answers),
        "server_errors": sum(1 for _, status in answers if status >= 500),
        "answers": dict(sorted(statuses.items())),
        "organisations_without_owner": sorted(slug for slug, names in owners.items() if not names),
    }
    with capsys.disabled():
        print(f"\nowner race figures: {json.dumps(figures)}")
    assert figures["server_errors"] == 0, figures
    assert unclear == []
    assert figures["organisations_without_owner"] == [], figures
    assert len(owners) == ROUNDS * len(SCENARIOS)
    assert unexpected_tracebacks(race_site.log()) == []
