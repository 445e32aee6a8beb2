"""Schemathesis, a tool nobody here wrote, against the live schema: gunicorn with production settings and
the demo data, a read-write token of the demo planner, every operation, and Schemathesis' checks for server
errors, status codes, content types, response headers and response schemas. 0 failures.

Two passes: one with the demo's ids and slug in every address, one with the ids and slugs Schemathesis makes
up. The normal suite runs a bounded number of examples per operation (API_FUZZ_EXAMPLES, default 25), with a
fixed seed (API_FUZZ_SEED, default 7) that at 25 examples sends a slug with a newline (%0A) in the second pass:
the class of address that once answered the site's HTML 404 (tests/test_api_errors.py checks it directly);
`make api-fuzz` runs many more. About 70 seconds on 2 cores. In the SQLite pass the server has a SQLite file of
its own; in the PostgreSQL pass, a database of its own on the same PostgreSQL server.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.production import BASE_DIR, gunicorn, manage, production_env

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)
# Every operation of the schema (test_api_isolation.py walks the same endpoints from the resolver).
OPERATIONS = 18
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
OUTPUT = BASE_DIR / "test-output"

# What the demo data holds, so that generated requests reach real objects instead of stopping at a 404: the
# demo organisation, a checklist, one of its items and one of its mitigations (the isolation tests cover ids
# a token may not see).
DEMO_IDS = """
import json
from peerplan.api.tokens import create_token
from peerplan.models import Membership
membership = Membership.objects.select_related("user", "organisation").get(user__email="planner@demo.peerplan.test")
organisation = membership.organisation
checklist = organisation.checklists.filter(status="active").order_by("pk").first()
item = checklist.items.challenges().order_by("pk").first()
mitigation = checklist.mitigations.order_by("pk").first()
_, secret = create_token(user=membership.user, organisation=organisation, name="Schemathesis", access="write")
print(json.dumps({"token": secret, "slug": organisation.slug, "checklist": checklist.pk, "item": item.pk,
                  "mitigation": mitigation.pk}))
"""

CONFIG = """
[[operations]]
include-path-regex = "^/api/organisations/\\\\{{slug\\\\}}/"
parameters = {{ "path.slug" = "{slug}" }}

[[operations]]
include-path-regex = "^/api/checklists/"
parameters = {{ "path.id" = {checklist} }}

[[operations]]
include-path-regex = "^/api/items/"
parameters = {{ "path.id" = {item} }}

[[operations]]
include-path-regex = "^/api/mitigations/"
parameters = {{ "path.id" = {mitigation} }}
"""


@pytest.fixture(scope="module")
def demo_server(database_env, collected_static, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("api-fuzz")
    env = production_env(
        **database_env,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        STATIC_ROOT=collected_static,
        # Schemathesis sends thousands of requests a minute with one token; the limit itself is tested in
        # test_api.py.
        API_RATE_PER_TOKEN="1000000/minute",
        API_RATE_PER_ADDRESS="1000000/minute",
    )
    assert manage("seed_demo", env=env).returncode == 0
    result = manage("shell", "-c", DEMO_IDS, env=env)
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout.strip().splitlines()[-1])
    config = tmp / "schemathesis.toml"
    config.write_text(CONFIG.format(**ids))
    with gunicorn(env, tmp / "gunicorn.log", workers=2) as server:
        yield server, ids, config, tmp


@pytest.mark.parametrize("addresses", ["demo", "generated"])
def test_schemathesis_finds_no_failure_in_any_operation(demo_server, addresses):
    """Twice: with the demo's ids and slug in every address (so requests reach real objects), and with ids and
    slugs Schemathesis makes up (control characters, newlines, non-ASCII), which must be JSON 404s."""
    server, ids, config, tmp = demo_server
    if addresses == "generated":
        config = tmp / "generated.toml"
        config.write_text("")
    OUTPUT.mkdir(exist_ok=True)
    report = OUTPUT / f"schemathesis-{addresses}.xml"
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {ids['token']}",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        os.environ.get("API_FUZZ_SEED", "7"),
        # One worker: with two, the order in which their requests change the server's data (the stateful
        # phase creates and links actions) differed from run to run, so a seed did not determine a run and a
        # failure seen once (1 run in 27, 2026-12-06, its output lost) could not be replayed.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
        "--no-color",
    ]
    # Run from the temporary directory: Schemathesis keeps a cache of what it found in its working directory.
    result = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    (OUTPUT / f"schemathesis-{addresses}.txt").write_text(output)

    assert result.returncode == 0, output[-20000:] + "\n--- server log ---\n" + server.log()[-5000:]
    # Every operation was tested, and every generated case passed every check.
    assert re.search(r"Tested: (\d+)", output).group(1) == str(OPERATIONS)
    generated, passed = map(int, re.search(r"(\d+) generated, (\d+) passed", output).groups())
    assert generated == passed >= OPERATIONS
    # The stateful phase ran and passed: sequences of calls that follow the links Schemathesis infers between
    # operations (an id one answer gives, used in the next call's address).
    assert re.search(r"✅ +Stateful", output), output[-5000:]
    assert int(re.search(r"API Links: +(\d+) covered", output).group(1)) > 0
