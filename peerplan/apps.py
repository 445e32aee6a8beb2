from django.apps import AppConfig


class PeerPlanConfig(AppConfig):
    name = "peerplan"
    verbose_name = "Planning"

    def ready(self):
        # Imports inside ready(), as Django requires: this module is loaded while the app registry is
        # still being filled, before any model may be imported.
        from django.core import checks
        from django.db.models.signals import post_delete

        from peerplan.accounts.ratelimit import rate_limits_need_a_shared_cache

        checks.register(rate_limits_need_a_shared_cache, checks.Tags.security)

        from peerplan.models import Attachment
        from peerplan.operations.attachments import remove_stored_file
        from peerplan.pages import page_cache

        # Signals here too, and why: a missed invalidation shows a stale plan, so every write to an
        # organisation's data marks its cached pages out of date without each view having to remember.
        page_cache.connect()

        # A signal, and why: an attachment's row goes with its organisation, checklist,
        # item or action through the database's cascade (from a page, the admin or a restore), and only
        # a post_delete receiver sees every one of those rows to remove its stored file too.
        post_delete.connect(
            lambda sender, instance, **kwargs: remove_stored_file(instance),
            sender=Attachment,
            dispatch_uid="peerplan.attachments.remove_stored_file",
            weak=False,
        )
