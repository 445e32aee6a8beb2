"""Settings for the benchmark's own server (bench/run.py starts gunicorn with these): PeerPlan's production
settings, read from the environment exactly as in production, with the benchmark's URL map on top, which
adds the floor view. Production never loads this module, so it has no benchmark code path at all."""

from peerplan.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
