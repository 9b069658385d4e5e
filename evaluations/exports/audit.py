"""The audit trail as CSV for auditors: every historical record with who, when and what changed.

One row per history record of every tracked model, streamed model by model; each change row
lists the fields that differ from the same object's previous record.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.utils import timezone
from django.utils.translation import gettext as _

from common.formatting import join_names
from common.formula_guard import make_inert

HISTORY_FIELDS = {
    "history_id", "history_date", "history_change_reason", "history_type", "history_user",
    "history_relation",
    # Bookkeeping that moves with the change it follows (Department.public_changed_at).
    "public_changed_at",
}
CHUNK = 2000


def _tracked_models() -> list:
    """The models with django-simple-history records, in a stable order."""
    models = []
    for model in apps.get_models():
        manager = getattr(model._meta, "simple_history_manager_attribute", None)
        if manager and model._meta.app_label in {"evaluations", "indicators"}:
            models.append(model)
    return sorted(models, key=lambda m: m._meta.label)


def header() -> list[str]:
    return [
        _("时间"), _("用户"), _("操作"), _("对象类型"), _("对象编号"), _("所属报告编号"),
        _("修改原因"), _("修改内容"),
    ]


def _m2m_members(model, history_model) -> list[tuple[str, dict[int, frozenset[str]]]]:
    """For each many-to-many field with history (a department's staff): its label and, for
    every history record, the members it had then. Two queries per field, any history size.
    """
    from simple_history.utils import get_m2m_reverse_field_name

    result = []
    for field in getattr(history_model, "_history_m2m_fields", []):
        through = history_model._meta.apps.get_model(
            history_model._meta.app_label, f"{history_model.__name__}_{field.name}"
        )
        member = get_m2m_reverse_field_name(field)
        pairs = list(through.objects.values_list("history_id", f"{member}_id"))
        related = field.related_model._default_manager.in_bulk({pk for _h, pk in pairs})
        members: dict[int, set[str]] = {}
        for history_id, pk in pairs:
            members.setdefault(history_id, set()).add(str(related.get(pk, pk)))
        result.append((
            str(field.verbose_name), {k: frozenset(v) for k, v in members.items()},
        ))
    return result


def _relation_labels(history_model, fields) -> dict[str, dict]:
    """For each foreign key of a history table: id → the related object's label ("报告: 2022年度
    某部门…", not "报告: 1"; issue 14.9). Two queries per key, however long the history; an id
    whose object is gone stays as the id."""
    labels = {}
    for f in fields:
        if not f.is_relation or f.related_model is None:
            continue
        ids = set(history_model.objects.values_list(f.attname, flat=True).distinct()) - {None}
        related = f.related_model._default_manager.select_related()
        labels[f.attname] = {pk: str(obj) for pk, obj in related.in_bulk(ids).items()}
    return labels


def _shown(labels: dict[str, dict], f, value) -> object:
    return labels[f.attname].get(value, value) if f.attname in labels else value


def _names(members: frozenset[str]) -> str:
    return join_names(sorted(members)) or "—"


def rows() -> Iterator[list[str]]:
    """Every history record of every tracked model, with the field-level difference."""
    kinds = {"+": _("新增"), "~": _("修改"), "-": _("删除")}
    for model in _tracked_models():
        history_model = model.history.model
        fields = [
            f for f in history_model._meta.concrete_fields
            if f.name not in HISTORY_FIELDS and f.attname not in HISTORY_FIELDS
        ]
        pk = model._meta.pk.attname
        m2m = _m2m_members(model, history_model)
        labels = _relation_labels(history_model, fields)
        previous = None
        records = (
            history_model.objects.select_related("history_user")
            .order_by(pk, "history_date", "history_id")
            .iterator(chunk_size=CHUNK)
        )
        for record in records:
            if previous is not None and getattr(previous, pk) != getattr(record, pk):
                previous = None
            changes = []
            for f in fields:
                new = getattr(record, f.attname)
                if previous is None:
                    if record.history_type == "+" and new not in (None, ""):
                        changes.append(f"{f.verbose_name}: {_shown(labels, f, new)}")
                    continue
                old = getattr(previous, f.attname)
                if old != new:
                    changes.append(
                        f"{f.verbose_name}: {_shown(labels, f, old)} → {_shown(labels, f, new)}"
                    )
            # Granting or withdrawing a department's staff is a change auditors look for.
            for label, members in m2m:
                now = members.get(record.history_id, frozenset())
                if previous is None:
                    if record.history_type == "+" and now:
                        changes.append(f"{label}: {_names(now)}")
                    continue
                before = members.get(previous.history_id, frozenset())
                if before != now:
                    changes.append(f"{label}: {_names(before)} → {_names(now)}")
            user = record.history_user
            yield [
                timezone.localtime(record.history_date).isoformat(timespec="seconds"),
                make_inert(user.get_username()) if user else "",
                kinds.get(record.history_type, record.history_type),
                str(model._meta.verbose_name),
                str(getattr(record, pk)),
                str(getattr(record, "report_id", "") or ""),
                make_inert(record.history_change_reason or ""),
                make_inert("; ".join(changes)),
            ]
            previous = record


def event_rows() -> Iterator[list[str]]:
    """The workflow trail (审核记录), which is append-only and so has no history of its own."""
    from evaluations.models import ReportEvent

    events = ReportEvent.objects.select_related("actor").order_by("created_at", "pk")
    for event in events.iterator(chunk_size=CHUNK):
        change = _("状态: %(old)s → %(new)s") % {"old": event.from_status, "new": event.to_status}
        if event.comment:
            change += "; " + _("意见: %(comment)s") % {"comment": event.comment}
        yield [
            timezone.localtime(event.created_at).isoformat(timespec="seconds"),
            make_inert(event.actor.get_username()),
            _("新增"),
            str(ReportEvent._meta.verbose_name),
            str(event.pk),
            str(event.report_id),
            str(event.get_action_display()),
            make_inert(change),
        ]


@dataclass(frozen=True)
class RowChange:
    """One history record of a report's budget or project-fund row, for the report's history."""

    date: object
    user: object
    kind: str
    row: str
    changes: list[str]


def row_history(report_id) -> list[RowChange]:
    """The history of a report's rows that have no admin page of their own, newest first.

    Budget execution rows and project fund rows are edited only as inlines, so their
    changes are shown on the report's history page. A fixed number of queries.
    """
    from evaluations.models import BudgetExecution, FundingSource, Project, ProjectFund

    kinds = {"+": _("新增"), "-": _("删除")}
    sources = dict(FundingSource.objects.values_list("pk", "name"))
    project_ids = Project.history.filter(report_id=report_id).values("id")
    projects = dict(
        Project.history.filter(report_id=report_id)
        .order_by("id", "history_date").values_list("id", "name")
    )
    groups = [
        (
            BudgetExecution,
            BudgetExecution.history.filter(report_id=report_id),
            lambda r: str(sources.get(r.funding_source_id, r.funding_source_id)),
        ),
        (
            ProjectFund,
            ProjectFund.history.filter(project_id__in=project_ids),
            lambda r: f"{projects.get(r.project_id, r.project_id)} · "
            f"{sources.get(r.funding_source_id, r.funding_source_id)}",
        ),
    ]
    result = []
    for model, records, label in groups:
        fields = [
            f for f in model.history.model._meta.concrete_fields
            if f.name not in HISTORY_FIELDS and f.attname not in HISTORY_FIELDS
            and f.attname not in {"id", "report_id", "project_id"}
        ]
        previous = None
        for record in records.select_related("history_user").order_by("id", "history_date", "history_id"):
            if previous is not None and previous.id != record.id:
                previous = None
            result.append(RowChange(
                date=record.history_date,
                user=record.history_user,
                kind=kinds.get(record.history_type, _("修改")),
                row=f"{model._meta.verbose_name}：{label(record)}",
                changes=_field_changes(record, previous, fields, sources),
            ))
            previous = record
    result.sort(key=lambda change: change.date, reverse=True)
    return result


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines() -> Iterator[str]:
    """The trail as CSV text, one line at a time, with a BOM so Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(header())
    for row in rows():
        yield writer.writerow(row)
    for row in event_rows():
        yield writer.writerow(row)


def _field_changes(record, previous, fields, sources: dict) -> list[str]:
    """"field: old → new" for each field that differs from the row's previous record; every
    field of a new row; nothing for a row first seen other than by its creation."""
    changes = []
    for f in fields:
        new = getattr(record, f.attname)
        old = getattr(previous, f.attname) if previous is not None else None
        if previous is not None and old == new:
            continue
        if previous is None and record.history_type != "+":
            continue
        if f.attname == "funding_source_id":
            old, new = sources.get(old, old), sources.get(new, new)
        shown_old = "" if old is None else old
        shown_new = "" if new is None else new
        changes.append(
            f"{f.verbose_name}: {shown_new}" if previous is None
            else f"{f.verbose_name}: {shown_old} → {shown_new}"
        )
    return changes
