from django.apps import AppConfig


class PeerPlanConfig(AppConfig):
    name = "peerplan"
    verbose_name = "Planning"
