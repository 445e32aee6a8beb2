"""Start the test identity provider: `python -m tests.oidc_provider.serve CONFIG.json`.

CONFIG names the port, database file, signing key file, the client (id, secret, redirect URIs) and the
people (username, password, email, name, groups: "unverified" and "replayed" are read by validator.py). It migrates a fresh database, registers the client
and the people, prints "ready" and serves until killed.
"""

import json
import os
import sys


def main(config_path):
    with open(config_path) as handle:
        config = json.load(handle)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
    os.environ["OIDC_TEST_PORT"] = str(config["port"])
    os.environ["OIDC_TEST_DB"] = config["database"]
    os.environ["OIDC_TEST_KEY"] = config["key_file"]
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for person in config["people"]:
        user = User.objects.create_user(
            person["username"], person["email"], person["password"], first_name=person["name"]
        )
        for group in person.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=group)[0])
    Application.objects.create(
        name="PeerPlan",
        client_id=config["client_id"],
        client_secret=config["client_secret"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(config["redirect_uris"]),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=config.get("skip_authorization", True),
        hash_client_secret=False,
    )
    print("ready", flush=True)
    call_command("runserver", f"127.0.0.1:{config['port']}", use_reloader=False, use_threading=True, verbosity=0)


if __name__ == "__main__":
    main(sys.argv[1])
