"""Form widgets shared by the admin of both apps."""

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes in one fieldset per group, its legend naming the group (a source): what Django's two-box
    "Hold down Control" picker cannot be, usable with a keyboard and a screen reader and without JavaScript.
    Give it grouped choices: [(group, [(value, label), ...]), ...]."""

    template_name = "admin/widgets/grouped_checkboxes.html"

    def _render(self, template_name, context, renderer=None):
        # Rendered by the project's templates (the form renderer reads only Django's and the apps' own).
        return mark_safe(render_to_string(template_name, context))
