"""What every admin of the project shares: department scoping and read-only-unless-draft.

``ScopedAdminMixin`` narrows each changelist, change form, history page, autocomplete and
foreign-key choice to the departments the user may see, and makes anything belonging to a
report that takes no changes read-only, inlines included: both rules are
``evaluations.access``'s. Every save and delete of a report's rows holds the report row
locked and rechecks the lock (``workflow.hold_for_editing``) in the view's one transaction,
so a submission made while a form was open is never undone by saving it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, router, transaction
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst, get_text_list
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper

from common.forms import CleanCharField, CodeField, PlainDecimalField
from common.text import clean_text
from evaluations import access, scores
from evaluations.access import department_path, restrict, sees_all_departments
from evaluations.admin.figures import figure
from evaluations.models import ProjectFund, Report
from evaluations.workflow import ReportLocked, hold_for_editing, mark_edited


def report_of(obj) -> Report | None:
    """The report an object belongs to (itself for a report), or None for reference data."""
    if isinstance(obj, Report):
        return obj
    if isinstance(obj, ProjectFund):
        return obj.project.report
    if hasattr(obj, "report_id") and obj.report_id is not None:
        return obj.report
    return None


def is_locked(obj, user=None) -> bool:
    """Whether ``obj`` belongs to a report that takes no changes from ``user`` now
    (``access.why_locked``: past draft, or a closed year's draft to all but superusers)."""
    report = report_of(obj) if obj is not None else None
    return report is not None and access.why_locked(report, user) is not None


def targets_locked(model, obj) -> bool:
    """Whether rows of ``model`` belonging to ``obj``'s report (``obj``: the row itself, or
    an inline's parent) may not be added or removed because the report's targets are locked."""
    report = report_of(obj) if obj is not None else None
    return access.target_refusal(model, report) is not None


def refuse_locked_targets(obj, changed) -> None:
    """Raise ReportLocked when saving ``obj`` (``changed``: its changed fields, None when
    new) would change a locked target; the admin's save shows the message, saving nothing."""
    report = report_of(obj)
    refused = access.target_refusal(type(obj), report, changed)
    if refused is not None:
        raise ReportLocked(report, access.why_targets_locked(report))


def reports_written(obj) -> set[int]:
    """The reports whose rows a save or delete of ``obj`` changes: the one it belongs to as
    stored, and the one the form gives it (a project moved to another report)."""
    path = access.report_path(type(obj))
    if path is None:
        return set()
    if path == "pk":
        return {obj.pk} - {None}
    ids = {report.pk} if (report := report_of(obj)) is not None else set()
    if getattr(obj, "project_id", None) is not None:
        # An indicator takes its report from its project on save (Indicator.save): a
        # project of another report moves it there, so that report is written too.
        ids.add(obj.project.report_id)
    if obj.pk is not None:
        ids.update(type(obj)._default_manager.filter(pk=obj.pk).values_list(path, flat=True))
    return ids - {None}


class MultilineField(forms.CharField):
    """Text as typed in a browser, whose form posts every line break as CRLF, stored with LF.

    Without this the first save from a browser rewrote every multi-line text (the seed's
    goals, project outcomes…) and each showed up as changed in the history.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return clean_text(value.replace("\r\n", "\n").replace("\r", "\n")) if value else value


def _feeds_after_the_year(request) -> bool:
    """Whether an autocomplete feeds a form of a row that changes after the year (a finding
    of a published report): it offers every report the user sees, not only drafts."""
    from django.apps import apps

    try:
        model = apps.get_model(request.GET.get("app_label", ""), request.GET.get("model_name", ""))
    except (LookupError, ValueError):
        return False
    return access.after_the_year(model)


# Hints the admin's forms show where the field alone does not say what to enter (issue 14.10).
FORM_HINTS = {
    ("evaluations.Project", "code"): _(
        "项目在本报告中的编号，用于导入导出时对应同一项目，如预算项目编码或自编的 p01、p02；"
        "只能包含字母、数字、连字符和下划线。"
    ),
}


class _ScopeMixin:
    """Department isolation and draft-only editing, shared by ModelAdmins and inlines."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.TextField) and not db_field.choices:
            kwargs.setdefault("form_class", MultilineField)
        elif type(db_field) is models.CharField and not db_field.choices:  # not email, slug…
            kwargs.setdefault("form_class", CleanCharField)
        elif isinstance(db_field, models.SlugField):  # a code, refused as the importer refuses it
            kwargs.setdefault("form_class", CodeField)
        elif isinstance(db_field, models.DecimalField):  # read as the importer reads a cell
            kwargs.setdefault("form_class", PlainDecimalField)
        hint = FORM_HINTS.get((db_field.model._meta.label, db_field.name))
        if hint:
            kwargs.setdefault("help_text", hint)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user)

    # -- Choices --------------------------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and department_path(related) is not None:
            queryset = related._default_manager.all()
            # New rows may only be attached to a report that takes changes (or its projects).
            if access.report_path(related) is not None:
                queryset = access.takes_new_rows(queryset, request.user)
            else:
                queryset = restrict(queryset, request.user)
            kwargs["queryset"] = queryset
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name not in self.get_autocomplete_fields(request):
            self._share_choices(request, db_field, field)
        return field

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Autocomplete feeds the "report" and "project" fields of forms that add rows, and
        # only a report that takes changes takes new rows; the forms refuse the rest anyway.
        if request.path.endswith("/autocomplete/") and access.report_path(self.model) is not None:
            if not _feeds_after_the_year(request):
                queryset = access.takes_new_rows(queryset, request.user)
        return queryset, may_have_duplicates

    def _share_choices(self, request, db_field, field) -> None:
        # Each inline row renders its own <select>; fetching the options once per request
        # keeps the report page's query count flat however many rows it has.
        cache = request.__dict__.setdefault("_admin_choice_cache", {})
        key = (type(self).__qualname__, db_field.model._meta.label, db_field.name)
        # The model form narrows the queryset to the field's limit_choices_to only when it is
        # built, after this: the list kept here is narrowed first, or it offers what the form
        # then refuses (预算类别 listed the project fund sources, and choosing one failed).
        limit = db_field.get_limit_choices_to()
        if limit:
            field.queryset = field.queryset.complex_filter(limit)
        if key not in cache:
            cache[key] = list(field.choices)
        field.choices = cache[key]

    # -- Read-only unless draft --------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        if is_locked(obj, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if is_locked(obj, request.user) or targets_locked(self.model, obj):
            return False
        return super().has_delete_permission(request, obj)

    # -- Approved targets: read-only everywhere (access.target_refusal) -------------------

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        report = report_of(obj) if obj is not None else None
        return fields + [f for f in access.locked_target_fields(self.model, report) if f not in fields]


class ReadableChanges(HistoricalRecordContextHelper):
    """History differences as people read them: choice labels, local times, 是/否, figures
    (1,925.00, as the form shows them: the history read "300.0000 → 310.0000")."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if isinstance(value, DeletedObject):
            # simple-history's stand-in for a related row not found, an empty link included:
            # "Deleted 用户 (pk=None)" for a round not yet reviewed (the cycle review).
            if value.pk is None:
                return "—"
            return gettext("已删除的%(model)s（编号 %(pk)s）") % {
                "model": value.model._meta.verbose_name, "pk": value.pk}
        if value is None or value == "":
            return "—"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(value, bool):
            return gettext("是") if value else gettext("否")
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "Y-m-d H:i:s")
        if isinstance(value, Decimal):
            return figure(value)
        return super().prepare_delta_change_value(change, value)


class ReadOnlyAdminMixin:
    """A record kept as evidence (a trail of events, a computed overview): listed and read,
    never added, changed or deleted in the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ScopedAdminMixin(_ScopeMixin):
    """For a ModelAdmin: also holds the report row through each save and delete, and guards
    its (simple-history) history pages."""

    object_history_list_template = "admin/evaluations/object_history_list.html"

    # -- Writes: the report row locked, its lock rechecked ------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        return self._holding(
            request, object_id, super().changeform_view, request, object_id, form_url, extra_context
        )

    def delete_view(self, request, object_id, extra_context=None):
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        return self._holding(request, object_id, super().delete_view, request, object_id, extra_context)

    def _holding(self, request, object_id, view, *args):
        """Run ``view`` in one transaction that first locks the stored object's report, so
        the form is read, checked and saved against the report as it is now."""
        try:
            with transaction.atomic(using=router.db_for_write(self.model)), scores.deferred():
                if object_id is not None:
                    try:
                        hold_for_editing(self._stored_reports(request, object_id), request.user)
                    except ReportLocked:
                        pass  # the view reads the locked row and refuses the post itself (403)
                return view(*args)
        except ReportLocked as exc:
            # The report the form chose stopped taking changes meanwhile: nothing was saved.
            self.message_user(
                request, gettext("未保存：%(reason)s") % {"reason": exc.message}, messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

    def _stored_reports(self, request, object_id) -> set[int]:
        path = access.report_path(self.model)
        if path is None:
            return set()
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except (ValueError, ValidationError):
            return set()  # Django answers a malformed id itself
        rows = self.get_queryset(request).filter(pk=unquote(object_id))
        return set(rows.values_list(path, flat=True))

    def save_model(self, request, obj, form, change):
        # The stored report is held already (_holding); this adds the one the form chose.
        hold_for_editing(reports_written(obj), request.user)
        refuse_locked_targets(obj, form.changed_data if change else None)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        mark_edited(reports_written(form.instance))

    def delete_model(self, request, obj):
        written = reports_written(obj)
        hold_for_editing(written, request.user)
        super().delete_model(request, obj)
        mark_edited(written - {obj.pk} if isinstance(obj, Report) else written)

    def delete_queryset(self, request, queryset):
        path = access.report_path(self.model)
        written = set(queryset.values_list(path, flat=True)) if path else set()
        try:
            with transaction.atomic(using=router.db_for_write(self.model)), scores.deferred():
                held = hold_for_editing(written, request.user)
                for report in held.values():
                    if access.target_refusal(self.model, report) is not None:
                        raise ReportLocked(report, access.why_targets_locked(report))
                super().delete_queryset(request, queryset)
        except ReportLocked as exc:
            raise PermissionDenied(exc.message) from exc
        mark_edited(written)

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableChanges(self.model, historical_record)

    def _check_history_access(self, request, object_id, version_id=None) -> None:
        try:
            # A malformed id in the address is a page that does not exist, not a 500.
            self.model._meta.pk.to_python(unquote(object_id))
            if version_id is not None:
                int(version_id)
        except (ValueError, ValidationError) as exc:
            raise Http404 from exc
        if self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            return
        # A deleted object's history has no department to check against any more: only
        # those who see every department may read it.
        exists = self.model._default_manager.filter(pk=unquote(object_id)).exists()
        if exists or not sees_all_departments(request.user):
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._check_history_access(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting through history would bypass the workflow and the checks.
        if request.method == "POST":
            raise PermissionDenied
        self._check_history_access(request, object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


# Where a row waits while its neighbours renumber (below any position anyone types).
PARKED_POSITION = 2_147_483_647


class ReadableUniqueFormSet(BaseInlineFormSet):
    """Inline rows with unique positions or codes: readable duplicates, renumbering in one save.

    Duplicate rows in one submission are reported with the constraint's own message (Django
    names the raw fields instead: "请修改funding_source的重复数据"). Rows are saved one by one,
    so swapping two positions (or shifting a list down to insert a row) used to collide with
    the row not yet saved and fail with an IntegrityError; rows whose position or code
    changes, and rows being deleted, are parked on unused values first.
    """

    def save(self, commit=True):
        self._park_renumbered_rows()
        return super().save(commit)

    # -- A new row's position taken when left blank ------------------------------------------

    def add_fields(self, form, index):
        """顺序 may be left blank (a new row's was 0, so a second new row clashed with the
        first: "顺序不能重复", with no word of what to type); the row then goes after the others."""
        super().add_fields(form, index)
        field = form.fields.get("position")
        if field is not None and "position" in self._unique_fields():
            field.required = False
            field.help_text = gettext("留空则排在已有各行之后。")
            if form.instance.pk is None:  # the model's default 0 is no position
                form.initial.pop("position", None)
                field.initial = None  # what the field falls back to, rendered as value="0"

    def _take_blank_positions(self) -> None:
        """Blank positions numbered after the highest of the formset's rows, in form order
        (the formset holds every row of its table)."""
        forms = [f for f in self.forms if getattr(f, "cleaned_data", None) and "position" in f.fields
                 and not (self.can_delete and self._should_delete_form(f))]
        blank = [f for f in forms if f.cleaned_data.get("position") is None and f.has_changed()]
        if not blank:
            return
        top = max((f.cleaned_data["position"] for f in forms if f.cleaned_data.get("position") is not None),
                  default=0)
        for position, form in enumerate(blank, start=top + 1):
            form.cleaned_data["position"] = form.instance.position = position

    def _unique_fields(self) -> set[str]:
        return {
            name
            for constraint in self.model._meta.constraints
            if isinstance(constraint, models.UniqueConstraint)
            for name in constraint.fields
            if name != self.fk.name
        }

    def clean(self):
        self._take_blank_positions()
        super().clean()
        if not any(self.errors):
            self._refuse_handed_over_references()

    def _refuse_handed_over_references(self) -> None:
        """A unique reference (a budget's kind) cannot be parked like a position or a code.
        Rows are written one at a time in form order, so a row may take over the value that
        another row gives up (or drops) in the same save only when that row comes first;
        otherwise, as in a swap, the database would refuse the first write."""
        for name in self._unique_fields():
            if not isinstance(self.model._meta.get_field(name), models.ForeignKey):
                continue
            given_up = {}  # stored value → row number, of rows that change or drop it
            for number, form in enumerate(self.initial_forms, start=1):
                if name in form.changed_data or (self.can_delete and self._should_delete_form(form)):
                    given_up[form.initial.get(name)] = number
            for number, form in enumerate(self.initial_forms, start=1):
                if name not in form.changed_data or self._should_delete_form(form):
                    continue
                value = form.cleaned_data.get(name)
                other = given_up.get(getattr(value, "pk", value))
                if other is not None and other > number:
                    raise ValidationError(
                        gettext(
                            "第 %(row)s 行的“%(field)s”改成了第 %(other)s 行在同一次保存中改掉或"
                            "删除的值，逐行保存时会冲突：请先保存第 %(other)s 行的修改，再改第 "
                            "%(row)s 行（互换时先把一行改成未使用的值）。"
                        ) % {
                            "row": number, "other": other,
                            "field": capfirst(self.model._meta.get_field(name).verbose_name),
                        },
                        code="handed_over",
                    )

    def _park_renumbered_rows(self) -> None:
        unique_fields = self._unique_fields()
        for form in self.initial_forms:
            pk = form.instance.pk
            if pk is None:
                continue
            deleted = self.can_delete and self._should_delete_form(form)
            parked = {}
            for name in unique_fields:
                if not (deleted or name in form.changed_data):
                    continue
                field = self.model._meta.get_field(name)
                if isinstance(field, models.IntegerField):
                    parked[name] = PARKED_POSITION - pk
                elif isinstance(field, models.CharField):
                    parked[name] = f"~{pk}"[: field.max_length]
            if parked:
                self.model._default_manager.filter(pk=pk).update(**parked)

    def get_unique_error_message(self, unique_check):
        for constraint in self.model._meta.total_unique_constraints:
            if set(constraint.fields) == set(unique_check) and constraint.violation_error_message:
                return str(constraint.violation_error_message)
        labels = [
            str(capfirst(self.model._meta.get_field(name).verbose_name))
            for name in unique_check if name != self.fk.name
        ]
        return gettext("请修正重复的“%(fields)s”。") % {"fields": get_text_list(labels, gettext("和"))}


class ScopedInlineMixin(_ScopeMixin):
    """For inlines: ``obj`` is the parent; a locked parent takes no new or changed rows."""

    formset = ReadableUniqueFormSet

    def has_add_permission(self, request, obj=None):
        if is_locked(obj, request.user) or targets_locked(self.model, obj):
            return False
        return super().has_add_permission(request, obj)

