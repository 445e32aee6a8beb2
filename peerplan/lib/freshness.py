"""The cache contract: what a write to each model changes on the cached pages.

Every model of PeerPlan's apps (APPS) says so itself, in a class attribute `freshness` set to one of:

- `OrganisationData(path)`: one organisation's data, shown on its pages. `path` leads from a row to its
  organisation as a query lookup does ("organisation", "checklist__organisation"; "pk" for the
  organisation itself). peerplan/models/organisation_generations.py follows it on every save, delete
  and many-to-many change, and rebuilds that organisation's pages. `actions=True` says the rows are its
  actions: a write to them alone leaves what its pages read of everything else, and of its other checklists'
  actions, as it was.
- `EVIDENCE`: the published evidence. A save, delete or many-to-many change replaces the evidence
  generation (evidence/cache.py) once the transaction commits, and every cached page, evidence or
  planning, is keyed by that generation.
- `EVERY_ORGANISATION`: curated for all organisations (phases, suggested actions, networks, a computation
  of the anonymous figures): a write rebuilds every organisation's pages.
- `NOT_SHOWN`: no cached page shows it, or it is written only together with a model that declares what
  the write changes. Say why in a comment beside it.

Nothing is inferred from field names: a model reaching its organisation through a field named otherwise
(a network, a run) declares its path like any other. tests/test_freshness.py fails for a model that
declares nothing, and for a path that leads nowhere.

Models no class of ours declares on, ruled here (`declared()`):
- simple-history's historical models (`history = HistoricalRecords()`): NOT_SHOWN, since a history row is
  written in the same save as the row it records, whose own declaration covers the write;
- a many-to-many field's automatic through table: NOT_SHOWN, since its rows are written through the
  field, which sends m2m_changed for the row on either side, and that row's declaration covers the write
  (the page cache listens to the fields of every model whose writes change a page);
- Django's user model (`_other_models()`): a person's name shows on the pages of the organisations they
  belong to.
"""

from dataclasses import dataclass

from django.apps import apps as global_apps
from django.conf import settings

# The apps whose models must declare (other apps' models hold no organisation's data, but see _other_models()).
APPS = {"peerplan", "api", "evidence"}


@dataclass(frozen=True)
class OrganisationData:
    """Rows of one organisation: a write changes that organisation's pages.

    `path`: the lookup from a row to its organisation's id ("pk" for the organisation itself).
    `unowned`: what a row whose path leads to no organisation is instead (an evidence source: an
    organisation's own is its data, a published one is evidence); None when every row has an organisation.
    `hidden_fields`: fields no page shows; a save of only these (`save(update_fields=...)`) changes nothing.
    `actions`: the organisation's actions (one model, whose path starts at its checklist: "checklist__...";
    tests/test_freshness.py). A write to them replaces the organisation's generation and that of its
    checklist's actions (organisation_generations.checklist_actions_key), but not the one of its data
    besides its actions, which the rows of queries that read no action are kept by
    (organisation_generations.besides_actions_key)."""

    path: str
    unowned: object = None
    hidden_fields: frozenset = frozenset()
    actions: bool = False


@dataclass(frozen=True)
class _Declaration:
    name: str

    def __repr__(self):
        return self.name


EVIDENCE = _Declaration("EVIDENCE")
EVERY_ORGANISATION = _Declaration("EVERY_ORGANISATION")
NOT_SHOWN = _Declaration("NOT_SHOWN")


def _other_models():
    """Declarations of models of other apps, whose classes are not ours to declare on."""
    return {
        # People's names are shown (owners, who decided), on the pages of every organisation they belong to.
        # Signing in and a new password save only these fields, which no page shows.
        settings.AUTH_USER_MODEL.lower(): OrganisationData(
            "memberships__organisation", hidden_fields=frozenset({"last_login", "password"})
        ),
    }


def is_historical(model):
    """Whether `model` is one of simple-history's historical models."""
    # simple-history sets `instance_type` (the model it records) on every historical model it makes,
    # those of many-to-many fields too.
    return isinstance(getattr(model, "instance_type", None), type)


def declared(model):
    """What a write to `model` changes (see the module's docstring), or None when it declares nothing."""
    if model._meta.auto_created or is_historical(model):  # a through table, a history (see above)
        return NOT_SHOWN
    if model._meta.app_label not in APPS:
        return _other_models().get(model._meta.label_lower)
    return model.__dict__.get("freshness")  # its own, never a parent's


def undeclared(models=None):
    """The models of PeerPlan's apps (all of them, or of `models`) that declare nothing."""
    if models is None:
        models = global_apps.get_models(include_auto_created=True)
    return [model for model in models if model._meta.app_label in APPS and declared(model) is None]


def is_organisation_data(model):
    """Whether every row of `model` (or, for a historical model, of the model it records) is one
    organisation's data."""
    model = getattr(model, "instance_type", model)
    declaration = declared(model)
    return isinstance(declaration, OrganisationData) and declaration.unowned is None


def organisation_lookup(model, declaration):
    """How to find the organisation of a row of `model`: (the model to query, the field of a row that holds
    its id there, the rest of the path to the organisation from that model). The first step is taken from
    the row itself when it is a foreign key, so a deleted row's organisation can still be found; the rest
    is looked up when the transaction commits ("" when the row holds the organisation's id itself)."""
    path = declaration.path
    if path == "pk":
        return model, "pk", ""
    first, _, rest = path.partition("__")
    field = model._meta.get_field(first)
    if field.concrete and field.many_to_one:
        return field.related_model, field.attname, rest
    return model, "pk", path
