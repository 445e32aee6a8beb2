from django.apps import AppConfig


class ApiConfig(AppConfig):
    # Its own app label and migrations, so its tables never collide with the planning app's migrations.
    name = "peerplan.api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        # Registers the token scheme with drf-spectacular (an import for its side effect), inside ready()
        # as Django requires: it imports the app's models.
        from peerplan.api import authentication  # noqa: F401
