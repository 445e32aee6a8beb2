"""Template filters that ask the models (a rule lives once, on the model)."""

from django import template

register = template.Library()


@register.filter
def overdue_on(action, today):
    """`action|overdue_on:today`: Mitigation.is_overdue, for templates."""
    return action.is_overdue(today)
