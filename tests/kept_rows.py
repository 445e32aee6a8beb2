"""What the rows kept across a change to an action are read from (peerplan/pages/page_cache.py: the prepared
queries that say they read no action), for tests/test_kept_without_actions.py and tests/test_page_cache.py's
walks of the writes."""

import functools
import inspect
import re
from datetime import date

from django.apps import apps

import peerplan.urls  # noqa: F401 (every page's modules, with their prepared queries)
from peerplan.lib import freshness, prepared


def tables(sql):
    """The tables `sql` reads (FROM and JOIN)."""
    return set(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', sql, flags=re.IGNORECASE))


def tables_of_actions():
    """The tables a write to actions alone writes: those of the models that declare their rows actions
    (freshness.OrganisationData.actions), their links to other rows and their history."""
    actions = {
        model
        for model in apps.get_models()
        if isinstance(freshness.declared(model), freshness.OrganisationData) and freshness.declared(model).actions
    }
    found = set()
    for model in apps.get_models(include_auto_created=True):
        recorded = getattr(model, "instance_type", None)  # a history
        linked = model._meta.auto_created and any(
            field.is_relation and field.related_model in actions for field in model._meta.fields
        )
        if model in actions or recorded in actions or linked:
            found.add(model._meta.db_table)
    return found


def sql_of(query):
    """The SQL of a prepared query's queryset, built with stand-ins for its values."""
    values = {name: date(2026, 1, 1) if name == "today" else 1 for name in inspect.signature(query.build).parameters}
    return str(query.build(**values).query)


@functools.cache
def tables_read_without_actions():
    """Every table a query that says it reads no action reads (worked out in a test: compiling asks the database
    its version on PostgreSQL)."""
    return set().union(*(tables(sql_of(query)) for query in prepared.WITHOUT_ACTIONS))
