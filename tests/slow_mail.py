"""A mail backend for tests that run PeerPlan in other processes: each email is written to its own file
in $TEST_MAIL_DIR, slowly (as a real mail server answers), so that two runs overlap. Not a test module."""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class SlowFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(os.environ["TEST_MAIL_DIR"])
        for message in email_messages:
            time.sleep(float(os.environ.get("TEST_MAIL_DELAY", "0.3")))
            (folder / f"{os.getpid()}-{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        return len(email_messages)
