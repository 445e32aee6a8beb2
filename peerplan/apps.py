from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.core import checks
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete

from peerplan.accounts.ratelimit import rate_limits_need_a_shared_cache
from peerplan.lib import logs
from peerplan.lib.links import site_url_is_set


class PeerPlanConfig(AppConfig):
    name = "peerplan"
    verbose_name = "Planning"

    def ready(self):
        # Imported here, not at the top: Django imports this module before any app's models are loaded, and
        # each of these imports models (ready() runs once they all are).
        from evidence import curation, interchange
        from peerplan.accounts import person
        from peerplan.figures.releases import checklists_using, release_impact
        from peerplan.models import Attachment, organisation_generations, person_generations
        from peerplan.operations.attachments import remove_stored_file

        checks.register(rate_limits_need_a_shared_cache, checks.Tags.security)
        checks.register(site_url_is_set, checks.Tags.security, deploy=True)

        # Signals here too, and why: a missed invalidation shows a stale plan, so every write to an
        # organisation's data marks its cached pages out of date without each view having to remember.
        organisation_generations.connect()
        # And, for the same reason, every write that changes a person's unread count (the navigation's) or
        # their account (read from the cache on every request: peerplan/accounts/person.py).
        person_generations.connect()
        # After Django's own receiver, which records the sign-in on the person's row (a write to it).
        user_logged_in.connect(person.keep_account_on_sign_in, dispatch_uid="peerplan.keep_account_on_sign_in")

        # A signal, and why: an attachment's row goes with its organisation, checklist,
        # item or action through the database's cascade (from a page, the admin or a restore), and only
        # a post_delete receiver sees every one of those rows to remove its stored file too.
        post_delete.connect(
            lambda sender, instance, **kwargs: remove_stored_file(instance),
            sender=Attachment,
            dispatch_uid="peerplan.remove_stored_file",
            weak=False,
        )

        # Signals, and why: Django logs a request's answer ("Not Found", "Internal Server Error") after every
        # middleware has returned, and those lines must carry the request's id too (peerplan/lib/logs.py).
        request_started.connect(logs.start_request, dispatch_uid="peerplan.request_id.start")
        request_finished.connect(logs.end_request, dispatch_uid="peerplan.request_id.end")

        # What a release does to organisations' plans is planning's to count (evidence/ imports nothing of it).
        interchange.count_impact_with(release_impact)
        curation.count_checklists_with(checklists_using)
