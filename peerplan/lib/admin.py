"""What the admin of both apps shares: curators see how much of their content organisations use, never
whose or what, and every refusal and list of what a delete takes is written in plain words."""

from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import ValidationError
from django.db import router
from django.forms.formsets import DELETION_FIELD_NAME
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from peerplan.lib.freshness import declared, is_organisation_data


def _plural(count, word, words=None):
    return f"{count} {word if count == 1 else (words or word + 's')}"


def _organisations(model, objects):
    """How many organisations the rows belong to, counted through the path each model declares (one query)."""
    path = declared(model).path
    # A historical row keeps the recorded row's id under the same name (its own pk is the history's).
    ids = [getattr(obj, model._meta.pk.attname) for obj in objects]
    return model._default_manager.filter(pk__in=ids).values(path).distinct().count()


def _counted(model, objects):
    model = getattr(model, "instance_type", model)  # a historical model: the model it records
    label = model._meta.label_lower
    if label == "peerplan.item":
        checklists = len({item.checklist_id for item in objects})
        return (
            f"used by {_plural(checklists, 'checklist')} in {_plural(_organisations(model, objects), 'organisation')}"
        )
    if label == "peerplan.mitigation":
        return (
            f"adopted by {_plural(len(objects), 'action')} in {_plural(_organisations(model, objects), 'organisation')}"
        )
    return _plural(len(objects), model._meta.verbose_name, model._meta.verbose_name_plural)


def _why_kept(model):
    """What a curator does instead of deleting something organisations use."""
    if model._meta.label_lower == "evidence.finding":
        return "A release retires it instead of deleting it."
    if model._meta.label_lower == "peerplan.suggestedmitigation":
        return "Unpublish it instead, so no one new is offered it."
    return "Correct it instead of deleting it."


def _link_name(obj):
    """A row of an automatic many-to-many table ("SuggestedMitigation_themes object (111)") named by the two
    things it links."""
    ends = [field for field in obj._meta.fields if field.is_relation]
    if len(ends) != 2:
        return str(obj)
    (one, other) = (getattr(obj, field.name) for field in ends)
    return f"Link from {one._meta.verbose_name} “{one}” to {other._meta.verbose_name} “{other}”"


def readable_model_name(model):
    if model._meta.auto_created:
        ends = [str(field.related_model._meta.verbose_name_plural) for field in model._meta.fields if field.is_relation]
        return f"links between {' and '.join(ends)}" if len(ends) == 2 else str(model._meta.verbose_name_plural)
    return str(model._meta.verbose_name_plural)


def refusals(objs, using):
    """Why the objects cannot be deleted, one sentence for each kind of thing that keeps them (empty when
    nothing does): organisations' rows counted, never named; evidence under them named."""
    collector = NestedObjects(using=using)
    collector.collect(objs)
    by_model = {}
    for obj in collector.protected:
        by_model.setdefault(type(obj), []).append(obj)
    if not by_model:
        return []
    what = objs[0]._meta.verbose_name if len(objs) == 1 else objs[0]._meta.verbose_name_plural
    these, is_, has = ("This", "is", "has") if len(objs) == 1 else ("These", "are", "have")
    used = {model: objects for model, objects in by_model.items() if is_organisation_data(model)}
    if used:
        # Only what organisations use: moving the evidence under it would not make the delete possible.
        why = _why_kept(objs[0]._meta.model)
        return list(dict.fromkeys(f"{these} {what} {is_} {_counted(m, objects)}. {why}" for m, objects in used.items()))
    sentences = []
    for model, objects in by_model.items():
        names = "; ".join(str(obj) for obj in objects[:10]) + ("; …" if len(objects) > 10 else "")
        count = _plural(len(objects), model._meta.verbose_name, model._meta.verbose_name_plural)
        them = "it" if len(objects) == 1 else "them"
        sentences.append(
            f"{these} {what} still {has} {count} under it: {names}. Move {them} elsewhere or delete {them} first."
        )
    return sentences


class CountsOnlyForOrganisationData:
    """For the curators' admin: a delete page that would list organisations' data (checklists, items,
    actions: every model that declares itself an organisation's in peerplan/lib/freshness.py, and their
    history) says how many rows there are, never their names, organisations or text. (Why a finding or a
    suggestion cannot be deleted, or what a delete would take with it.) A curator may learn how much of the
    evidence is used, never by whom or for what. What a delete would take is listed by readable names."""

    def get_deleted_objects(self, objs, request):
        _, model_count, perms_needed, _ = super().get_deleted_objects(objs, request)
        objs = list(objs)
        using = router.db_for_write(self.model)
        collector = NestedObjects(using=using)
        collector.collect(objs)
        protected = refusals(objs, using) if collector.protected else []
        if protected:
            # Protected rows stop the delete whatever the curator's permissions: say that, not which
            # planning models they may not delete.
            perms_needed = set()
        if any(is_organisation_data(model) for model in collector.data):
            deleted = [
                capfirst(_counted(model, list(objects)))
                if is_organisation_data(model)
                else capfirst(f"{len(objects)} {readable_model_name(model)}")
                for model, objects in collector.data.items()
            ]
        else:
            deleted = collector.nested(self._deleted_name)
        model_count = {readable_model_name(model): len(objects) for model, objects in collector.model_objs.items()}
        return deleted, model_count, perms_needed, protected

    def _deleted_name(self, obj):
        if obj._meta.auto_created:
            return _link_name(obj)
        name = f"{capfirst(obj._meta.verbose_name)}: {obj}"
        if not self.admin_site.is_registered(type(obj)):
            return name
        try:
            url = reverse(f"{self.admin_site.name}:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
        except NoReverseMatch:
            return name
        return format_html('{}: <a href="{}">{}</a>', capfirst(obj._meta.verbose_name), url, obj)


class InlineDeleteInPlainWords:
    """An inline row's Delete box refused in plain words with counts ("This finding is used by 14 checklists
    in 6 organisations. A release retires it instead of deleting it."), not Django's list of protected
    objects, which names every item of every organisation's checklist."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        base = formset.form

        class Form(base):
            def hand_clean_DELETE(self):
                if self.cleaned_data.get(DELETION_FIELD_NAME) and self.instance.pk:
                    sentences = refusals([self.instance], router.db_for_write(type(self.instance)))
                    if sentences:
                        raise ValidationError(" ".join(sentences))
                super().hand_clean_DELETE()

        Form.__name__ = base.__name__
        formset.form = Form
        return formset
