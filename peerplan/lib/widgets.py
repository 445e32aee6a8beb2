"""Form widgets shared by the admin of both apps."""

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in one fieldset per group (a source), the group's name its legend: a curator never mixes up
    two sources' [1] and [2] or two themes of one name, and each group scrolls, so a hundred references do not
    make the page endless. What Django's two-box "Hold down Control" picker cannot be: usable with a keyboard,
    a screen reader and a phone, without JavaScript. Give it grouped choices (`grouped_choices`)."""

    template_name = "admin/widgets/grouped_checkboxes.html"

    def __init__(self, attrs=None, choices=(), *, empty="None to choose from."):
        super().__init__(attrs, choices)
        self.empty = empty

    def get_context(self, name, value, attrs):
        return {**super().get_context(name, value, attrs), "empty": self.empty}

    def render(self, name, value, attrs=None, renderer=None):
        # Rendered by the project's templates (the form renderer reads only Django's and the apps' own).
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))


def grouped_choices(rows, group_of, label):
    """Choices in one group per `group_of(row)` (a source), named by it, in the rows' order:
    [(group name, [(pk, label), ...]), ...] for GroupedCheckboxes or a drop-down's optgroups."""
    groups = {}
    for row in rows:
        groups.setdefault(group_of(row), []).append((row.pk, label(row)))
    return [(str(group), options) for group, options in groups.items()]
