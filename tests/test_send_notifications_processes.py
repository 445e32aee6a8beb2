"""`send_notifications` run twice at the same time, as two cron jobs that overlap, in two processes
against one database (SQLite file, or a PostgreSQL database of its own): every email is sent once."""

import email
import json
import subprocess
import sys

from tests.production import BASE_DIR, manage, production_env

PEOPLE = 6

SET_UP = """
import json
from django.contrib.auth import get_user_model
from peerplan.operations import checklists, mitigations, organisations
from peerplan.models import Membership, Mitigation
from evidence.models import Valence
User = get_user_model()
owner = User.objects.create_user("owner", "owner@example.org", "x", first_name="Olive")
organisation = organisations.create_organisation(name="Two Runs Service", by=owner)
checklist = checklists.create_checklist_from_evidence(organisation=organisation, title="Plan", by=owner)
item = checklist.items.filter(finding__valence=Valence.CHALLENGE).first()
for number in range({people}):
    user = User.objects.create_user(f"p{{number}}", f"p{{number}}@example.org", "x")
    Membership.objects.create(organisation=organisation, user=user, role="planner")
    for n in range(2):  # two each: one email per person, batched
        action = Mitigation.objects.create(checklist=checklist, action=f"A{{number}}-{{n}}")
        action.items.add(item)
        mitigations.update_mitigation(mitigation_id=action.pk, changes={{"owner": user}}, version=1, by=owner)
print("ok")
"""

STATE = """
import json
from peerplan.models import Notification
print(json.dumps(sorted(Notification.objects.values_list("recipient__email", "email_status"))))
"""


def test_two_runs_at_once_send_each_email_once(database_env, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = production_env(
        EMAIL_BACKEND="tests.slow_mail.SlowFileBackend",
        TEST_MAIL_DIR=mail_dir,
        NOTIFICATION_EMAIL_DELAY="0",
        **database_env,
    )
    set_up = manage("shell", "-c", SET_UP.format(people=PEOPLE), env=env)
    assert set_up.returncode == 0, set_up.stderr

    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "send_notifications", "-v2"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err

    messages = [email.message_from_bytes(path.read_bytes()) for path in mail_dir.iterdir()]
    recipients = sorted(message["To"] for message in messages)
    assert recipients == sorted(f"p{n}@example.org" for n in range(PEOPLE)), recipients
    # Both runs did some of the work (they overlapped), and between them nobody got two emails.
    senders = {path.name.split("-")[0] for path in mail_dir.iterdir()}
    state = json.loads(manage("shell", "-c", STATE, env=env).stdout.strip().splitlines()[-1])
    assert all(status == "sent" for _, status in state) and len(state) == 2 * PEOPLE
    print(f"emails: {len(messages)}, written by {len(senders)} process(es)")
