"""Template filters that ask the models (a rule lives once, on the model)."""

from django import template

from peerplan.models import display_name

register = template.Library()


@register.filter
def overdue_on(action, today):
    """`action|overdue_on:today`: Mitigation.is_overdue, for templates."""
    return action.is_overdue(today)


@register.filter(name="display_name")
def display_name_filter(user):
    """`user|display_name`: models.display_name, the one spelling of a person's name."""
    return display_name(user)
