"""/api/: the schema, its docs, and the endpoints (tokens are made on /app/tokens/, see pages.py)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from peerplan.api import views

app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file of its own: no inline script (CSP).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", template_name="api/docs.html"),
        name="docs",
    ),
    path("evidence/", views.evidence, name="evidence"),
    path("evidence/themes/<slug:slug>/", views.theme, name="theme"),
    path("organisations/", views.organisations, name="organisations"),
    path("organisations/<slug:slug>/", views.organisation, name="organisation"),
    path("organisations/<slug:slug>/members/", views.members, name="members"),
    path("organisations/<slug:slug>/themes/", views.themes, name="themes"),
    path("organisations/<slug:slug>/phases/", views.phases, name="phases"),
    path("organisations/<slug:slug>/dashboard/", views.dashboard, name="dashboard"),
    path("organisations/<slug:slug>/checklists/", views.checklists, name="checklists"),
    path("organisations/<slug:slug>/mitigations/", views.mitigations, name="mitigations"),
    path("checklists/<int:pk>/", views.checklist, name="checklist"),
    path("checklists/<int:pk>/items/", views.checklist_items, name="checklist_items"),
    path("checklists/<int:pk>/check-in/", views.checklist_check_in, name="checklist_check_in"),
    path("items/<int:pk>/", views.item, name="item"),
    path("items/<int:pk>/mitigations/", views.item_mitigations, name="item_mitigations"),
    path("mitigations/<int:pk>/", views.mitigation, name="mitigation"),
    # Last: an address that matches nothing above (an id that is not a number, a slug with a '#'). (?s): a
    # newline (%0A) in the address is matched too.
    re_path(r"^(?P<rest>(?s:.*))$", views.not_found, name="not_found"),
]
