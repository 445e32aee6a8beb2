"""The admin site curators use: its index lists what they curate in the order a researcher reads the evidence
(sources, their headings, themes, findings, perspectives and references), then the suggested actions and
the releases, before anything else; Django's own index is alphabetical."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

# Models as "app_label.ObjectName", in the order curators see them. The suggested actions are planning's
# model (peerplan), shown here beside the evidence they cite; the index is the only place that joins them.
CURATION_ORDER = [
    "evidence.Source",
    "evidence.Category",
    "evidence.Theme",
    "evidence.Finding",
    "evidence.Perspective",
    "evidence.Reference",
    "evidence.Statement",
    "peerplan.SuggestedMitigation",
    "evidence.Release",
]


def _name(model_entry):
    model = model_entry["model"]
    return f"{model._meta.app_label}.{model._meta.object_name}"


class CurationSite(admin.AdminSite):
    """Django's admin site with the curators' order on its index and in its side navigation."""

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        rank = {name: position for position, name in enumerate(CURATION_ORDER)}
        if app_label is not None:  # one app's own page: only that app's models, in the curators' order
            for app in app_list:
                app["models"].sort(key=lambda entry: rank.get(_name(entry), len(rank)))
            return app_list
        curated = [entry for app in app_list for entry in app["models"] if _name(entry) in rank]
        if not curated:
            return app_list
        evidence = next((app for app in app_list if app["app_label"] == "evidence"), None)
        if evidence is None:
            return app_list
        evidence["models"] = sorted(curated, key=lambda entry: rank[_name(entry)])
        rest = []
        for app in app_list:
            if app is evidence:
                continue
            app["models"] = [entry for entry in app["models"] if _name(entry) not in rank]
            if app["models"]:
                rest.append(app)
        return [evidence, *rest]


class CurationAdminConfig(AdminConfig):
    """Django's admin app on this site (INSTALLED_APPS names it in place of "django.contrib.admin")."""

    default_site = "evidence.admin_site.CurationSite"
