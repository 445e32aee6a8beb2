"""Queries compiled to SQL once per process (and database connection), then run again with new values.

Building a queryset and compiling it to SQL (Django's as_sql) cost 0.5 to 1 ms per query, more than running it:
a dashboard's dozen queries spent a third of its miss there. A page's query is built the same way on every
request and differs only in its values (the organisation, today), so `PreparedQuery(build)` compiles
`build(**values)` once and afterwards only puts the new values where the compiled SQL has them.

Where they go is found, not assumed: the query is compiled twice, with two sets of stand-in values. The SQL
must come out the same both times, and each of its parameters must be either the same both times (a constant
of the query: a status, a limit) or the stand-in of one named value both times. Anything else is refused the
first time the query is prepared (ValueError), so the prepared SQL never runs a value where the queryset
would not have put it: a value the query works something out from (today + 14 days: pass it as a value of
its own), a value written into the SQL itself, or a list whose length shapes the SQL. Values are ints, dates
and strings, checked on every call. A string's stand-ins hold the characters any escaping or pattern would
change (percent, underscore, backslash, quote), so a lookup that rewrites its value (LIKE's escaping,
contains) is refused too, rather than prepared with the stand-in's value passing unchanged. What cannot be
found is a value `build` reads for itself (the clock, a setting, a row): it is the same in both compiles, so
it is taken for a constant and kept for the life of the process. `build` must therefore read nothing but its
arguments: today comes in as a value, never from tracking.today().

The rows come back through Django's own iterables (model instances with what select_related reads and their
annotations, or values() dicts and tuples), converted as the queryset converts them.

A query that reads none of an organisation's actions says so (`without_actions=True`): while a page's body is
built, the page cache may then answer it with the rows it kept from before (`keeping`), as long as nothing
but actions was written since (peerplan/pages/page_cache.py). tests/test_kept_without_actions.py reads the
SQL of every such query for the tables of actions.
"""

import contextlib
import contextvars
import copy
import threading
import weakref
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connections

# The kinds of value a prepared query takes (exact types: a bool is not an int here, a datetime not a date).
KINDS = (int, date, str)


def _stand_in(kind, version, position):
    """The stand-in of the value at `position` in compile `version` (0 or 1): unlike any real id or day, and
    unlike every other stand-in. An int is positive and within 32 bits: Django refuses to compile a lookup of an
    integer field (EmptyResultSet) with a value outside the database's range for that field (PostgreSQL's
    integer, a positive integer field), where the real values fit."""
    if kind is int:
        return 2_100_000_000 + 1_000_000 * version + position
    if kind is str:
        return f"prepared %_\\' stand-in {version} {position}"
    return date(1001 + version, 1, 1) + timedelta(days=position)


def _same(value):
    return value


@dataclass
class _Compiled:
    """One query compiled for one connection: its SQL, what goes in each parameter, and the compiler and
    queryset it came from (their iterable and its state turn rows into what the queryset returns)."""

    kinds: dict  # {name: int or date}: what it was compiled for
    sql: str
    # Per parameter: (name of the value, how it is adapted) or (None, the constant).
    slots: tuple
    compiler: object
    queryset: object
    _converters: tuple | None = None  # (the query's columns, their converters), once worked out

    def converters(self, expressions):
        """compiler.get_converters(expressions), worked out once for the query's own columns, which its rows
        are converted by on every call: each column's converters are found through its field and the
        database's, for each of a query's dozens of columns."""
        if self._converters is None:
            columns = tuple(column for column, *_ in self.compiler.select[: self.compiler.col_count])
            self._converters = (columns, self.compiler.get_converters(columns))
        columns, converters = self._converters
        if len(expressions) == len(columns) and all(a is b for a, b in zip(expressions, columns, strict=True)):
            return converters
        return self.compiler.get_converters(expressions)


# The queries that say they read no action, in the order they were made.
WITHOUT_ACTIONS = []

# Who answers those while a page's body is built (`keeping`): a function of the query, its values and a
# function that runs it, returning its rows.
_keeper = contextvars.ContextVar("prepared_query_keeper", default=None)


@contextlib.contextmanager
def keeping(keeper):
    """Within the block, the queries made `without_actions` are answered by `keeper(query, values, run)`."""
    token = _keeper.set(keeper)
    try:
        yield
    finally:
        _keeper.reset(token)


class PreparedQuery:
    """`build(**values)` (a queryset) compiled once per connection; calling it with values returns its rows as
    a list, as list(build(**values)) would. `without_actions`: the query reads none of an organisation's
    actions (freshness.OrganisationData.actions), nor anything written with them alone; its rows may then be
    kept (`keeping`). Its rows are shared by the requests they are kept for: read, never changed."""

    def __init__(self, build, *, without_actions=False):
        self.build = build
        self.without_actions = without_actions
        self._alias = None  # the database the queryset reads from, known once it is first built
        self._compiled = weakref.WeakKeyDictionary()  # {database connection: _Compiled}
        self._lock = threading.Lock()
        if without_actions:
            WITHOUT_ACTIONS.append(self)

    def __call__(self, **values):
        keeper = _keeper.get() if self.without_actions else None
        if keeper is not None:
            return keeper(self, values, self._run)
        return self._run(**values)

    def _run(self, **values):
        for name, value in values.items():
            if type(value) not in KINDS:
                raise TypeError(f"{name}={value!r}: a prepared query takes ints, dates and strings")
        compiled = self._compiled_for({name: type(value) for name, value in values.items()})
        params = tuple(adapt(values[name]) if name is not None else adapt for name, adapt in compiled.slots)
        compiler = copy.copy(compiled.compiler)
        # The compiled SQL with this call's values: the compiler's state (what is selected, how rows become
        # instances, their converters) is what compiling the same query left, whatever its values.
        compiler.as_sql = lambda *args, **kwargs: (compiled.sql, params)
        # And its columns' converters, worked out once: the same columns every time.
        compiler.get_converters = compiled.converters
        query = copy.copy(compiled.queryset.query)
        query.get_compiler = lambda *args, **kwargs: compiler
        template = compiled.queryset
        queryset = type(template)(model=template.model, query=query, using=template.db)
        queryset._iterable_class = template._iterable_class
        queryset._fields = template._fields
        return list(queryset)

    def _compiled_for(self, kinds):
        # Per connection: a compiler runs its SQL on the connection it was made for (each thread has its own).
        if self._alias is not None:
            found = self._compiled.get(connections[self._alias])
            if found is not None and found.kinds == kinds:
                return found
        names = sorted(kinds)
        stand_ins = [{name: _stand_in(kinds[name], version, n) for n, name in enumerate(names)} for version in (0, 1)]
        first, second = (self.build(**values) for values in stand_ins)
        if first._prefetch_related_lookups or first._known_related_objects:
            raise ValueError("A prepared query cannot prefetch, nor come from a related manager.")
        connection = connections[first.db]
        compilers = [queryset.query.get_compiler(using=queryset.db) for queryset in (first, second)]
        (sql, params), (other_sql, other_params) = (compiler.as_sql() for compiler in compilers)
        if sql != other_sql or len(params) != len(other_params):
            raise ValueError(f"The SQL itself depends on a value, not only its parameters: {sql}")
        adapters = (_same, connection.ops.adapt_datefield_value)
        slots = []
        for param, other in zip(params, other_params, strict=True):
            if param == other:
                slots.append((None, param))
                continue
            slot = next(
                (
                    (name, adapt)
                    for name in names
                    for adapt in adapters
                    if adapt(stand_ins[0][name]) == param and adapt(stand_ins[1][name]) == other
                ),
                None,
            )
            if slot is None:
                raise ValueError(f"A parameter of the SQL is worked out from a value ({param!r}): {sql}")
            slots.append(slot)
        compiled = _Compiled(kinds, sql, tuple(slots), compilers[0], first)
        with self._lock:
            self._alias = first.db
            self._compiled[connection] = compiled
        return compiled


def as_prefetched(instances, name, related):
    """Put each instance's related rows (`related`: {instance's pk: [rows]}, none for one not in it) where
    prefetch_related(name) puts them, so instance.<name>.all() reads them without a query. A prepared query
    cannot prefetch: a second one reads the related rows, and this puts them in Django's own places, as
    prefetch_related_objects fills them (the related manager's queryset, its results, and the instance's cache
    of prefetched querysets). Returns `instances`."""
    for instance in instances:
        rows = getattr(instance, name).all()
        rows._result_cache, rows._prefetch_done = related.get(instance.pk, []), True
        instance._prefetched_objects_cache = {**getattr(instance, "_prefetched_objects_cache", {}), name: rows}
    return instances
