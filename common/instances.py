"""Model instances made in bulk the way Django makes them, without ``Model.__init__``'s work
for each field: a large import made hundreds of thousands (its projects, its new indicators),
and ``__init__`` (which ``QuerySet.only`` goes through too) took about ten times as long as
reading the same rows as tuples.

Each instance is what Django would make: its fields' values in ``__dict__`` (a field not read
is deferred, as ``only`` leaves it), and its ``_state``. A model with a ``pre_init`` or
``post_init`` receiver is made by Django itself, so the receiver runs.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import Model, signals
from django.db.models.base import ModelState


def plain(model: type[Model]) -> bool:
    """Whether ``model`` can be made here: no receiver of its pre_init or post_init."""
    return not (signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model))


def loaded(model: type[Model], attnames: Sequence[str], rows: Iterable[tuple], db: str) -> Iterator[Model]:
    """Instances of ``model`` as ``queryset.only(*attnames)`` gives them, from ``rows``
    (``queryset.values_list(*attnames)``) read from database ``db``."""
    if not plain(model):
        order = {name: i for i, name in enumerate(attnames)}
        concrete = [f.attname for f in model._meta.concrete_fields if f.attname in order]
        for row in rows:
            yield model.from_db(db, concrete, [row[order[name]] for name in concrete])
        return
    new = model.__new__
    for row in rows:
        obj = new(model)
        fields = obj.__dict__
        fields.update(zip(attnames, row, strict=True))
        state = fields["_state"] = ModelState()
        state.adding, state.db = False, db
        yield obj


def only(queryset, attnames: Sequence[str]) -> Iterator[Model]:
    """``queryset.only(*attnames)``, its instances made by :func:`loaded` from its tuples."""
    return loaded(queryset.model, attnames, queryset.values_list(*attnames), queryset.db)


class Blank:
    """Makes new instances of one model as ``model(**values)`` does (``values`` by attname):
    every concrete field at its default, ``values`` over them. Made here where the model is
    :func:`plain` and no default is a callable (each instance would need its own value), by
    Django otherwise. Read the receivers and defaults once, then make many."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.new = model.__new__
        fields = model._meta.concrete_fields
        self.defaults = {f.attname: f.get_default() for f in fields}
        self.fast = plain(model) and not any(f.has_default() and callable(f.default) for f in fields)

    def __call__(self, **values) -> Model:
        if not self.fast:
            return self.model(**values)
        obj = self.new(self.model)
        fields = obj.__dict__  # (in place, each step in C: half the time of setattr and **)
        fields.update(self.defaults)
        fields.update(values)
        fields["_state"] = ModelState()
        return obj


@functools.cache
def set_as_stored(model: type[Model]) -> frozenset[str]:
    """The attnames that ``setattr`` stores in the instance's ``__dict__`` as they are (no
    descriptor of the class takes the assignment, as a foreign key's does): for these,
    ``obj.__dict__.update(values)`` is ``setattr`` for each, in one call."""
    return frozenset(
        f.attname for f in model._meta.concrete_fields
        if not hasattr(inspect.getattr_static(model, f.attname, None), "__set__")
    )
