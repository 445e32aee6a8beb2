"""WSGI entry point: `gunicorn peerplan.wsgi` (see gunicorn.conf.py for the settings it reads)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerplan.settings")

application = get_wsgi_application()
