"""The admin of the year after: findings (整改), recommendations, re-checks, attachments.

These rows change after publication, so their pages are scoped by department like every
other (``ScopedAdminMixin``) but not held by the report's edit lock: their own rules in
``evaluations.access`` ("After the year") decide, and a save marks the report edited, which
moves its public page's stamp (docs/design.md, "Targets, monitoring, findings").
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.files.uploadedfile import UploadedFile
from django.db import router, transaction
from django.db.models import Max
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from evaluations import access, attachments
from evaluations.admin.imports import DataAdminMixin
from evaluations.admin.mixins import ScopedAdminMixin, _ScopeMixin, reports_written
from evaluations.models import Attachment, Finding, Report
from evaluations.public.followup import pages_showing
from evaluations.workflow import mark_edited


class CycleAdminMixin(ScopedAdminMixin):
    """Department scope without the report's edit lock; ``why_locked`` says what binds instead."""

    def why_locked(self, request, obj) -> str | None:
        return None

    def _holding(self, request, object_id, view, *args):
        with transaction.atomic(using=router.db_for_write(self.model)):
            return view(*args)

    def has_change_permission(self, request, obj=None):
        if obj is not None and self.why_locked(request, obj):
            return False
        return super(_ScopeMixin, self).has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and self.why_locked(request, obj):
            return False
        return super(_ScopeMixin, self).has_delete_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and access.department_path(related) is not None:
            # Any row the user sees, published reports' included.
            kwargs["queryset"] = access.restrict(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super(ScopedAdminMixin, self).save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super(ScopedAdminMixin, self).save_related(request, form, formsets, change)
        mark_edited(pages_showing(reports_written(form.instance)))

    def delete_model(self, request, obj):
        written = self._reports_of([obj])
        super(ScopedAdminMixin, self).delete_model(request, obj)
        mark_edited(pages_showing(written))

    def delete_queryset(self, request, queryset):
        written = self._reports_of(queryset)
        super(ScopedAdminMixin, self).delete_queryset(request, queryset)
        mark_edited(pages_showing(written))

    def _reports_of(self, objs) -> set[int]:
        path = access.report_path(self.model)
        ids = [obj.pk for obj in objs]
        return set(self.model._default_manager.filter(pk__in=ids).values_list(path, flat=True))


# --- Findings -------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = _("逾期")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("已逾期"))]

    def queryset(self, request, queryset):
        return queryset.overdue() if self.value() == "yes" else queryset


class FindingForm(forms.ModelForm):
    """Sources the user may enter; a status step the rules allow; the position taken when blank."""

    class Meta:
        model = Finding
        fields = ["report", "position", "source", "description", "measure", "owner", "due_date", "status"]

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.stored_status = self.instance.status if self.instance.pk else None
        if "position" in self.fields:
            self.fields["position"].required = False
            self.fields["position"].help_text = gettext("留空则排在本报告已有问题之后。")
        status = self.fields.get("status")
        if status is not None:
            # The menu offers the steps the rule lets this user take from here (a clerk was
            # offered 已验证, then refused it on saving); a posted one is still judged by
            # clean(), with the rule's own words.
            status.widget.choices = [
                (value, label) for value, label in status.choices
                if access.why_not_finding_status(self.instance, self.stored_status, value, user) is None
            ]
        source = self.fields.get("source")
        if source is not None:
            allowed = access.finding_sources(user)
            source.choices = [(v, label) for v, label in source.choices if v in allowed]
            if self.instance.pk is None:
                source.initial = allowed[0]

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status is not None:
            problem = access.why_not_finding_status(self.instance, self.stored_status, status, self.user)
            if problem:
                self.add_error("status", problem)
        report = cleaned.get("report") or (self.instance.report if self.instance.report_id else None)
        if "position" in self.fields and cleaned.get("position") is None and report is not None:
            top = Finding.objects.filter(report=report).aggregate(top=Max("position"))["top"]
            cleaned["position"] = (top or 0) + 1
            self.instance.position = cleaned["position"]
        return cleaned


@admin.register(Finding)
class FindingAdmin(DataAdminMixin, CycleAdminMixin, SimpleHistoryAdmin):
    data_datasets = ["findings"]
    export_filters = {
        "report__fiscal_year__id__exact": ("year", None),
        "report__department__id__exact": ("department", None),
    }
    form = FindingForm
    # Status and 逾期 beside the report: what a reviewer triages by, on a phone's first screen.
    list_display = [
        "year_and_department", "status", "overdue", "short_description", "position", "source",
        "owner", "due_date",
    ]
    list_filter = [
        OverdueFilter, "status", "source", "report__fiscal_year",
        ("report__department", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["report__department", "report__fiscal_year"]
    search_fields = ["description", "measure", "owner", "report__department__name"]
    autocomplete_fields = ["report"]
    fields = [
        "report", ("position", "source"), "description", "measure", ("owner", "due_date"),
        ("status", "overdue"), ("created_by", "done_by", "verified_by", "verified_at"),
    ]
    readonly_fields = ["overdue", "created_by", "done_by", "verified_by", "verified_at"]

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_inlines(self, request, obj):
        return [FindingAttachmentInline]

    def why_locked(self, request, obj) -> str | None:
        return access.why_finding_locked(obj, request.user)

    def save_formset(self, request, form, formset, change):
        # Evidence belongs to the finding's report too (Attachment.report is always set).
        for inline_form in formset.forms:
            inline_form.instance.report_id = form.instance.report_id
        super().save_formset(request, form, formset, change)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithUser(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, user=request.user, **kw)

        return WithUser

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj)]
        if obj is not None:
            fields += ["report", *access.finding_fields_locked(obj, request.user)]
        return fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        report = request.GET.get("report")
        if report and report.isdigit():
            # "新增整改问题" from a report's page: that report, if the user sees it.
            visible = access.restrict(Report.objects.all(), request.user).filter(pk=report)
            initial["report"] = report if visible.exists() else None
        return initial

    def save_model(self, request, obj, form, change):
        new_status = obj.status
        if not change:
            obj.created_by = request.user
        obj.status = form.stored_status or Finding.Status.OPEN
        if obj.pk is None and new_status == obj.status:
            obj.status = ""  # a new finding takes its first status like any later one
        obj.take_status(new_status, request.user)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("报告"), ordering="report__fiscal_year__year")
    def year_and_department(self, obj: Finding) -> str:
        return obj.report.short_label

    @admin.display(description=_("问题描述"))
    def short_description(self, obj: Finding) -> str:
        text = obj.description
        return text if len(text) <= 40 else text[:40] + "…"

    @admin.display(description=_("逾期"))
    def overdue(self, obj: Finding) -> str:
        if obj.pk is None or not obj.is_overdue(timezone.localdate()):
            return "—"
        return format_html('<strong class="finding-overdue">{}</strong>', gettext("已逾期"))


# --- Attachments ----------------------------------------------------------------------------


class _Stored:
    """A stored file as the file input shows it: its own name, linked to the checked download."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


class EvidenceFileInput(forms.ClearableFileInput):
    """The stored file named as uploaded and linked to the access-checked download view, not
    to its storage path under MEDIA_URL (a dead link here, and past every check wherever a web
    server serves MEDIA_URL)."""

    def __init__(self, *args, stored: _Stored | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stored = stored

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.stored is not None and context["widget"]["is_initial"]:
            context["widget"]["value"] = self.stored
        return context


class AttachmentForm(forms.ModelForm):
    """The file checked by content (evaluations/attachments.py) before anything is stored."""

    class Meta:
        model = Attachment
        fields = ["report", "project", "indicator", "finding", "title", "file", "public"]

    def __init__(self, *args, user=None, upload_too_large=False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.upload_too_large = upload_too_large
        self.inspected: attachments.Inspected | None = None
        if "file" in self.fields:
            if self.instance.pk is not None:
                self.fields["file"].widget = EvidenceFileInput(stored=_Stored(
                    self.instance.filename or gettext("文件"),
                    reverse("admin:evaluations_attachment_download", args=[self.instance.pk])))
            self.fields["file"].help_text = gettext(
                "PDF、Word（.docx）、Excel（.xlsx）、PNG 或 JPEG，不超过 %(max)s MB；按文件内容判断类型。"
            ) % {"max": attachments.max_bytes() // (1024 * 1024)}

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            self.inspected = attachments.inspect(upload)
        return upload

    def clean(self):
        if self.upload_too_large:
            self.add_error("file", gettext("文件超过 %(max)s MB 的上限，未上传。") % {
                "max": attachments.max_bytes() // (1024 * 1024)})
        cleaned = super().clean()
        instance = self.instance
        for name in ("report", "project", "indicator", "finding"):
            if name in cleaned:
                setattr(instance, name, cleaned[name])
        if instance.report_id is None and instance.finding_id is not None:  # on the finding's page
            instance.report_id = instance.finding.report_id
        if instance.report_id is not None and (instance.pk is None or self.has_changed()):
            if instance.finding_id is not None:
                # The finding as stored: on its own page the finding's form, checked first,
                # holds the status posted beside this evidence, and verifying it locked it.
                instance.finding = type(instance.finding).objects.get(pk=instance.finding_id)
            problem = access.why_attachment_locked(instance, self.user)
            if problem:
                raise forms.ValidationError(problem)
        return cleaned

    def save(self, commit=True):
        if self.inspected is not None:
            i = self.inspected
            self.instance.kind, self.instance.size = i.kind, i.size
            self.instance.sha256, self.instance.filename = i.sha256, i.filename
            if self.instance.uploaded_by_id is None and self.user is not None:
                self.instance.uploaded_by = self.user
        return super().save(commit)


def _with_request(form, request):
    class WithUser(form):
        def __init__(self, *args, **kw):
            super().__init__(*args, user=request.user,
                             upload_too_large=getattr(request, "upload_too_large", False), **kw)

    return WithUser


@admin.register(Attachment)
class AttachmentAdmin(CycleAdminMixin, SimpleHistoryAdmin):
    form = AttachmentForm
    list_display = ["title", "report", "subject", "kind", "size", "public", "created_at", "download"]
    list_filter = ["public", "kind", "report__fiscal_year"]
    list_select_related = [
        "report__department", "report__fiscal_year", "project", "indicator", "finding",
    ]
    search_fields = ["title", "filename", "sha256", "report__department__name"]
    autocomplete_fields = ["report", "project", "indicator", "finding"]
    readonly_fields = ["filename", "kind", "size", "sha256", "uploaded_by", "created_at", "download"]

    def why_locked(self, request, obj) -> str | None:
        return access.why_attachment_locked(obj, request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        return _with_request(super().get_form(request, obj, change=change, **kwargs), request)

    def get_readonly_fields(self, request, obj=None):
        fields = [*super().get_readonly_fields(request, obj)]
        if obj is not None:  # what it is and where it belongs stay; title and public change
            fields += ["report", "project", "indicator", "finding"]
        return fields

    def get_exclude(self, request, obj=None):
        # A stored file is not replaced; 文件名 and 下载 show it, the link access-checked (the
        # file field's own display linked its storage path under MEDIA_URL: a dead link).
        return [*(super().get_exclude(request, obj) or ()), *(["file"] if obj is not None else [])]

    def get_urls(self):
        return [
            path("<int:pk>/download/", self.admin_site.admin_view(self.download_view),
                 name="evaluations_attachment_download"),
            *super().get_urls(),
        ]

    def download_view(self, request, pk: int):
        """The file, to users who may see the report (drafts' and private ones included)."""
        item = self.get_queryset(request).filter(pk=pk).first()
        if item is None or not self.has_view_permission(request, item):
            raise Http404
        return attachments.serve(item)

    @admin.display(description=_("所属"))
    def subject(self, obj: Attachment) -> str:
        return str(obj.subject)

    @admin.display(description=_("下载"))
    def download(self, obj: Attachment) -> str:
        if obj.pk is None:
            return "—"
        url = reverse("admin:evaluations_attachment_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, attachments.download_name(obj))


class FindingAttachmentInline(admin.TabularInline):
    """整改佐证材料: evidence uploaded on the finding's page."""

    model = Attachment
    form = AttachmentForm
    fk_name = "finding"
    extra = 0
    fields = ["title", "file", "public", "kind", "size", "download"]
    readonly_fields = ["kind", "size", "download"]
    verbose_name_plural = _("整改佐证材料（附件）")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _with_request(formset.form, request)
        return formset

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user)

    def download(self, obj):
        return AttachmentAdmin.download(None, obj)

    download.short_description = _("下载")
