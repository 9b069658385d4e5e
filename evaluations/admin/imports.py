"""The admin's data import (upload → preview → confirm) and export links, for every dataset's admin.

Every row is checked and written by evaluations/imports/importer.py, as ``manage.py import_data``
does, and the export links lead to the streamed ``/exports/<dataset>.csv``
(evaluations/public/data_views.py): the admin, the command and the URLs cannot disagree
(docs/design.md, "Interfaces").
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, FieldDoesNotExist, PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from evaluations import access
from evaluations import datasets as ds
from evaluations.admin import workbook_import
from evaluations.admin.previews import ACTION_LABELS, shown
from evaluations.imports import importer
from evaluations.models import Department, FiscalYear, FundingSource, PendingImport, Report

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
# The export filter each changelist filter becomes, and the model that turns an id into it.
EXPORT_VALUES = {"year": (FiscalYear, "year"), "department": (Department, "code"),
                 "funding_source": (FundingSource, "code")}
EXPORT_LABELS = {"year": _("年度"), "department": _("部门编码"),
                 "funding_source": _("资金来源编码"), "status": _("状态")}


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def too_large_message() -> str:
    return gettext("文件超过 %(limit)s MB 的上限，未读取。请按年度或部门拆分后分别导入。") % {
        "limit": megabytes(settings.IMPORT_MAX_UPLOAD_BYTES),
    }


class UploadForm(forms.Form):
    dataset = forms.ChoiceField(label=_("数据集"))
    import_file = forms.FileField(label=_("文件（CSV 或 XLSX）"))

    def __init__(self, datasets: list[ds.Dataset], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(d.name, f"{d.label}（{d.name}）") for d in datasets]
        self.fields["import_file"].widget.attrs["accept"] = ".csv,.xlsx"

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.IMPORT_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(too_large_message())
        return upload


def error_rows(result: importer.ImportResult, limit: int) -> dict:
    """The first ``limit`` errors of a refused import as rows of a table, and how many more."""
    rows = [
        {"row": e.row, "column": e.column, "message": e.message} for e in result.errors[:limit]
    ]
    return {"errors": rows, "more_errors": max(0, len(result.errors) - limit)}


def change_rows(dataset: ds.Dataset, result: importer.ImportResult, limit: int) -> dict:
    """What the import would do: its counts, and the first ``limit`` new or changed rows
    where the importer kept its rows' outcomes (a streamed import keeps counts only).

    A new row lists the values it brings besides its key, a changed one each field's old and
    new value.
    """
    changed = [row for row in result.rows if row.action != importer.SKIP]
    rows = []
    for row in changed[:limit]:
        if row.action == importer.NEW:
            changes = [(str(dataset.column(key).label), None, shown(value, dataset.column(key)))
                       for key, value in (row.values or {}).items()
                       if value not in (None, "") and key not in dataset.key]
        else:
            changes = [(_field_label(dataset, name), shown(old, _field(dataset, name)),
                        shown(new, _field(dataset, name)))
                       for name, (old, new) in (row.changes or {}).items()]
        rows.append({"row": row.row, "action": ACTION_LABELS[row.action], "key": row.key,
                     "changes": changes})
    will_change = result.count(importer.NEW) + result.count(importer.UPDATE)
    return {
        "changes": rows, "more_changes": max(0, will_change - len(rows)) if rows else 0,
        "will_change": will_change,
        "counts": {label: result.count(action) for action, label in ACTION_LABELS.items()},
    }


def claim_pending(request, datasets: list[str]) -> PendingImport | None:
    """The user's pending upload of one of ``datasets`` named by the form's token, removed
    from storage at once, so a second confirm (a double click, a second tab) finds nothing
    and says so (the admin's message is set); None then, or when it expired."""
    token = request.POST.get("token", "")
    gone = gettext("找不到这次上传：它已经确认导入、已取消，或已超过 %(minutes)s 分钟失效。"
                   "请查看数据是否已导入，或重新上传文件。") % {
        "minutes": settings.IMPORT_UPLOAD_MAX_AGE // 60}
    pending = None
    if TOKEN_RE.fullmatch(token):
        pending = PendingImport.objects.filter(
            token=token, user=request.user, dataset__in=datasets
        ).first()
    # Only one request deletes the row: the one that goes on to import it.
    if pending is None or not PendingImport.objects.filter(pk=pending.pk).delete()[0]:
        messages.error(request, gone)
        return None
    if pending.is_expired:
        messages.error(request, gettext("上传已超过 %(minutes)s 分钟，已失效，请重新上传文件。")
                       % {"minutes": settings.IMPORT_UPLOAD_MAX_AGE // 60})
        return None
    return pending


def _field(dataset: ds.Dataset, name: str):
    try:
        return dataset.model._meta.get_field(name)
    except FieldDoesNotExist:  # a planned link, such as a department's parent code
        return None


def _field_label(dataset: ds.Dataset, name: str) -> str:
    field = _field(dataset, name)
    return name if field is None else str(field.verbose_name)


class DataAdminMixin:
    """Import and export pages for a ModelAdmin; ``data_datasets`` names its datasets.

    ``export_filters`` maps the changelist's filter parameters to ``/exports/`` parameters:
    ``{"fiscal_year__id__exact": ("year", None)}``; the second item limits a filter to the
    datasets it means the same thing for (None: all of them).
    """

    data_datasets: list[str] = []
    # True: the import screen also takes the 自评表 workbook (admin/workbook_import.py).
    data_workbook: bool = False
    export_filters: dict[str, tuple[str, set[str] | None]] = {}
    change_list_template = "admin/evaluations/data_change_list.html"

    def has_import_permission(self, request) -> bool:
        return access.has_permission(request.user, access.IMPORT_DATA)

    def has_export_permission(self, request) -> bool:
        return access.has_permission(request.user, access.EXPORT_DATA)

    def data_sets(self) -> list[ds.Dataset]:
        return [ds.get_dataset(name) for name in self.data_datasets]

    def _import_choices(self) -> list:
        return [*self.data_sets(), *([workbook_import.WORKBOOK] if self.data_workbook else [])]

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("import/", self.admin_site.admin_view(self.import_view),
                 name="{}_{}_import".format(*info)),
            path("process_import/", self.admin_site.admin_view(self.confirm_view),
                 name="{}_{}_process_import".format(*info)),
            path("export/", self.admin_site.admin_view(self.export_view),
                 name="{}_{}_export".format(*info)),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "has_import_permission": bool(self.data_datasets) and self.has_import_permission(request),
            "has_export_permission": bool(self.data_datasets) and self.has_export_permission(request),
        }
        return super().changelist_view(request, extra_context)

    # Pages -----------------------------------------------------------------------------------
    def _render(self, request, context: dict) -> TemplateResponse:
        opts = self.opts
        context = {
            **self.admin_site.each_context(request), "opts": opts,
            "app_label": opts.app_label, "has_view_permission": self.has_view_permission(request),
            "limit_mb": megabytes(settings.IMPORT_MAX_UPLOAD_BYTES),
            "max_age_minutes": settings.IMPORT_UPLOAD_MAX_AGE // 60,
            "import_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_import"),
            **context,
        }
        return TemplateResponse(request, "admin/evaluations/data_import.html", context)

    def _templates(self) -> list[tuple[str, str]]:
        return [(f"{d.label}（{d.name}）", reverse("evaluations:data_template", args=[d.name]))
                for d in self.data_sets()]

    def import_view(self, request):
        if not self.has_import_permission(request):
            raise PermissionDenied
        PendingImport.objects.expired().delete()  # there is no scheduler: each visit sweeps
        datasets = self._import_choices()
        if request.method != "POST":
            form = UploadForm(datasets)
        else:
            form = UploadForm(datasets, request.POST, request.FILES)
            valid = form.is_valid()
            if getattr(request, "upload_too_large", False):  # config/uploads.py
                form.errors.pop("import_file", None)
                form.add_error("import_file", too_large_message())
            elif valid:
                return self._preview(request, form)
        return self._render(request, {
            "title": gettext("导入数据"), "form": form, "data_templates": self._templates(),
        })

    def _preview(self, request, form: UploadForm) -> TemplateResponse:
        """Check every row as the real import would (a dry run), and keep the file if it passed."""
        upload = form.cleaned_data["import_file"]
        data = upload.read()
        filename = (upload.name or "upload")[-255:]
        if form.cleaned_data["dataset"] == workbook_import.WORKBOOK.name:
            return workbook_import.preview(self, request, data, filename)
        dataset = ds.get_dataset(form.cleaned_data["dataset"])
        result = importer.import_file(
            dataset, data, filename=filename, user=request.user, dry_run=True,
            changes_kept=settings.IMPORT_PREVIEW_ROWS,
        )
        context = self._result_context(dataset, filename, result)
        del result  # the importer's rows go before the file is written out (bench/RESULTS.md)
        if context["ok"]:
            context["pending"] = PendingImport.objects.keep(
                user=request.user, dataset=dataset.name, filename=filename, data=data,
            )
        return self._render(request, context)

    def _result_context(self, dataset, filename, result, *, confirmed=False) -> dict:
        """What the result page shows of an import: nothing that holds on to its rows."""
        limit = settings.IMPORT_PREVIEW_ROWS
        if not result.ok:
            title = gettext("导入未完成：确认时重新检查发现错误") if confirmed else gettext("文件有错误，未导入")
        else:
            title = gettext("导入预览：请核对后确认")
        return {
            "title": title, "dataset": dataset, "filename": filename, "ok": result.ok,
            "error_count": len(result.errors), "confirmed": confirmed, "preview_limit": limit,
            **(error_rows(result, limit) if not result.ok else change_rows(dataset, result, limit)),
        }

    def _claim(self, request) -> PendingImport | None:
        workbook = [workbook_import.WORKBOOK.name] if self.data_workbook else []
        return claim_pending(request, [*self.data_datasets, *workbook])

    def confirm_view(self, request):
        """Import the previewed file: every row checked again (the data may have changed since
        the preview), then written in the importer's one transaction, or nothing."""
        import_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        if request.method != "POST":
            return HttpResponseRedirect(import_url)
        if not self.has_import_permission(request):
            raise PermissionDenied
        pending = self._claim(request)
        if pending is None:
            return HttpResponseRedirect(import_url)
        if "cancel" in request.POST:
            messages.info(request, gettext("已取消导入，上传的文件已删除。"))
            return HttpResponseRedirect(import_url)
        if pending.dataset == workbook_import.WORKBOOK.name:
            return workbook_import.confirm(self, request, pending)
        dataset = ds.get_dataset(pending.dataset)
        result = importer.import_file(
            dataset, bytes(pending.data), filename=pending.filename, user=request.user
        )
        if not result.ok:
            return self._render(request, self._result_context(
                dataset, pending.filename, result, confirmed=True))
        messages.success(request, gettext("已导入“%(dataset)s”：%(summary)s") % {
            "dataset": dataset.label, "summary": result.summary})
        opts = self.opts
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    # Export ------------------------------------------------------------------------------------
    def export_view(self, request):
        """Links to the streamed CSV of each dataset, narrowed by the changelist's filters."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        params, applied, ignored = self._export_params(request.GET)
        links = []
        for dataset in self.data_sets():
            query = [("bom", "1")]  # opened by double-click: Excel reads UTF-8 only after a BOM
            for key, value, only in params:
                if only is None or dataset.name in only:
                    query.append((key, value))
            url = reverse("evaluations:exports", args=[dataset.name]) + "?" + urlencode(query)
            links.append((f"{dataset.label}（{dataset.name}）", url))
        return self._render(request, {
            "title": gettext("导出数据"), "export_links": links, "applied": applied,
            "ignored": ignored,
        })

    def _export_params(self, query) -> tuple[list, list[str], bool]:
        """``/exports/`` parameters from a changelist's query string: the filters it can pass
        on, and whether any other condition (a search, a date) was left out. A filter whose
        value names nothing is a 400, as the admin answers elsewhere (config/admin_site.py):
        exporting everything instead would not be what the list showed."""
        params, applied, ignored = [], [], False
        for name, value in query.items():
            if name in ("o", "p", "all"):
                continue
            target = self.export_filters.get(name)
            if target is None:
                ignored = True
                continue
            converted = _export_value(target[0], value)
            if converted is None:
                raise BadRequest(f"malformed filter {name}")
            params.append((target[0], converted, target[1]))
            shown = Report.Status(converted).label if target[0] == "status" else converted
            applied.append(f"{EXPORT_LABELS[target[0]]} {shown}")
        return params, applied, ignored


def _export_value(key: str, value: str) -> str | None:
    """A changelist filter's value (an id, a status) as /exports/ reads it, or None."""
    if key == "status":
        return value if value in Report.Status.values else None
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    model, field_name = EXPORT_VALUES[key]
    found = model.objects.filter(pk=int(value)).values_list(field_name, flat=True).first()
    return None if found is None else str(found)
