"""What the admin of both apps shares: curators see how much of their content organisations use, never
whose or what."""

from django.contrib.admin.utils import NestedObjects
from django.db import router
from django.utils.text import capfirst

from peerplan.lib.freshness import is_organisation_data


def _counted(model, objects):
    model = getattr(model, "instance_type", model)  # a historical model: the model it records
    label = model._meta.label_lower
    if label == "peerplan.item":
        checklists = len({item.checklist_id for item in objects})
        return f"Used by {checklists} checklist{'s' if checklists != 1 else ''} of organisations"
    if label == "peerplan.mitigation":
        return f"Adopted by {len(objects)} action{'s' if len(objects) != 1 else ''} in organisations' checklists"
    return f"{len(objects)} {model._meta.verbose_name_plural if len(objects) != 1 else model._meta.verbose_name}"


class CountsOnlyForOrganisationData:
    """For the curators' admin: a delete page that would list organisations' data (checklists, items,
    actions: every model that declares itself an organisation's in peerplan/lib/freshness.py, and their
    history) says how many rows there are, never their names, organisations or text. (Why a finding or a
    suggestion cannot be deleted, or what a delete would take with it.) A curator may learn how much of the
    evidence is used, never by whom or for what."""

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        by_model = {}
        for obj in collector.protected:
            by_model.setdefault(type(obj), []).append(obj)
        if any(is_organisation_data(model) for model in by_model):
            # Protected rows stop the delete whatever the curator's permissions: say that, not which
            # planning models they may not delete.
            perms_needed = {name for name in perms_needed} - {
                str(model._meta.verbose_name) for model in by_model if is_organisation_data(model)
            }
            protected = [
                _counted(model, objects)
                if is_organisation_data(model)
                else f"{capfirst(model._meta.verbose_name)}: {obj}"
                for model, objects in by_model.items()
                for obj in (objects[:1] if is_organisation_data(model) else objects)
            ]
        if any(is_organisation_data(model) for model in collector.data):
            deleted = [
                _counted(model, list(objects))
                if is_organisation_data(model)
                else capfirst(f"{len(objects)} {model._meta.verbose_name_plural}")
                for model, objects in collector.data.items()
            ]
        return deleted, model_count, perms_needed, protected
