"""django-import-export resources for the admin: one per dataset, delegating to importer.py.

The admin keeps django-import-export's upload → preview (dry run) → confirm steps, but every
row is checked and written by the same code as ``manage.py import_data``, and exports write
the same cells as ``/exports/…``; so the admin, the command and the URLs cannot disagree.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from import_export.formats import base_formats
from import_export.resources import Resource
from import_export.results import Result, RowResult
from tablib import Dataset as TablibDataset

from evaluations import access
from evaluations import datasets as ds
from evaluations.exports import streams as exports
from evaluations.imports import importer
from evaluations.models import (
    BudgetExecution,
    Department,
    OutcomeNarrative,
    Project,
    ProjectFund,
    Report,
)
from indicators.models import Indicator


class UploadedTable(importer.Table):
    """A file read by importer.read_table, passed through django-import-export untouched."""

    def __len__(self) -> int:
        return len(self.rows) + 1  # the header row alone is still a (possibly empty) table


class DetectedCSV(base_formats.CSV):
    """CSV read as bytes so UTF-8, UTF-8 with BOM and GB18030 are all recognised."""

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        data = in_stream.encode("utf-8") if isinstance(in_stream, str) else in_stream
        table = importer.read_table(data, filename="upload.csv")
        return UploadedTable(table.headers, table.rows)


class DetectedXLSX(base_formats.XLSX):
    def create_dataset(self, in_stream, **kwargs):
        table = importer.read_table(in_stream, filename="upload.xlsx")
        return UploadedTable(table.headers, table.rows)


IMPORT_FORMATS = [DetectedCSV, DetectedXLSX]
MESSAGE_LIMIT = 20  # errors shown as messages when a confirmed import is refused
EXPORT_FORMATS = [base_formats.CSV, base_formats.XLSX]


class _ColumnName:
    """What django-import-export's pages need of a field: its column name."""

    def __init__(self, column: ds.Column) -> None:
        self.column_name = str(column.label)
        self.attribute = column.key


# How to narrow a dataset to the rows behind an admin changelist's queryset.
_SCOPE_LOOKUPS: dict[tuple[type, type], str] = {
    (Department, Department): "pk__in",
    (Report, Report): "pk__in",
    (BudgetExecution, Report): "report__in",
    (Project, Report): "report__in",
    (ProjectFund, Report): "project__report__in",
    (OutcomeNarrative, Report): "report__in",
    (Indicator, Report): "report__in",
    (Project, Project): "pk__in",
    (ProjectFund, Project): "project__in",
    (Indicator, Project): "project__in",
    (OutcomeNarrative, OutcomeNarrative): "pk__in",
    (BudgetExecution, BudgetExecution): "pk__in",
    (ProjectFund, ProjectFund): "pk__in",
    (Indicator, Indicator): "pk__in",
}


class DatasetResource(Resource):
    """A dataset of datasets.py as a django-import-export resource."""

    dataset_name = ""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dataset = ds.get_dataset(self.dataset_name)

    @classmethod
    def get_display_name(cls) -> str:
        dataset = ds.get_dataset(cls.dataset_name)
        return f"{dataset.label}（{dataset.name}）"

    def get_user_visible_fields(self):
        return [_ColumnName(c) for c in self.dataset.import_columns]

    def get_export_fields(self, selected_fields=None):
        return [_ColumnName(c) for c in self.dataset.columns]

    def get_export_headers(self, selected_fields=None):
        return self.dataset.headers("labels")

    # Import ----------------------------------------------------------------------------
    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        if isinstance(dataset, importer.Table):
            table = dataset
        else:  # a tablib Dataset, from code that builds one
            table = importer.rows_to_table([dataset.headers or [], *dataset])
        outcome = importer.import_table(
            self.dataset, table, user=kwargs.get("user"), dry_run=dry_run
        )
        return build_result(self.dataset, table, outcome)

    # Export ----------------------------------------------------------------------------
    def export(self, queryset=None, **kwargs):
        """The cells of /exports/ for the rows behind ``queryset``, as a tablib Dataset."""
        filters = exports.ExportFilters(user=kwargs.get("user"))
        if queryset is not None:
            lookup = _SCOPE_LOOKUPS.get((self.dataset.model, queryset.model))
            if lookup is None:
                raise ValueError(f"cannot scope {self.dataset.name} to {queryset.model.__name__}")
            filters.lookups = {lookup: queryset.order_by().values("pk")}
        data = TablibDataset(headers=exports.header_row(self.dataset))
        native = bool(kwargs.get("force_native_type"))  # XLSX: numbers as numbers
        for row in exports.formatted_rows(self.dataset, filters, native_numbers=native):
            data.append(row)
        return data


def build_result(dataset: ds.Dataset, table: importer.Table, outcome: importer.ImportResult):
    """django-import-export's Result (for the preview page) from an ImportResult."""
    result = Result()
    result.import_outcome = outcome  # for DataAdminMixin.process_result
    result.diff_headers = [h for h in table.headers if h.strip()]
    result.add_dataset_headers(result.diff_headers)
    values_by_row = {
        number: dict(zip(table.headers, cells, strict=False)) for number, cells in table.rows
    }
    if outcome.errors:
        for error in outcome.errors:
            field = error.column or NON_FIELD_ERRORS
            result.append_invalid_row(
                error.row if error.row is not None else "—",
                values_by_row.get(error.row, {}),
                ValidationError({field: [error.message]}),
            )
        return result
    import_types = {
        importer.NEW: RowResult.IMPORT_TYPE_NEW,
        importer.UPDATE: RowResult.IMPORT_TYPE_UPDATE,
        importer.SKIP: RowResult.IMPORT_TYPE_SKIP,
    }
    for row in outcome.rows:
        row_result = RowResult()
        row_result.import_type = import_types[row.action]
        cells = values_by_row.get(row.row, {})
        row_result.diff = [cells.get(h, "") for h in result.diff_headers]
        row_result.row_values = cells
        if row.instance is not None and row.instance.pk is not None:
            row_result.instance = row.instance
            row_result.add_instance_info(row.instance)
        result.increment_row_result_total(row_result)
        result.append_row_result(row_result)
    result.total_rows = len(outcome.rows)
    return result


def _resource(name: str) -> type[DatasetResource]:
    class_name = "".join(part.title() for part in name.split("_")) + "Resource"
    return type(class_name, (DatasetResource,), {"dataset_name": name, "__module__": __name__})


DepartmentsResource = _resource("departments")
ReportsResource = _resource("reports")
BudgetExecutionsResource = _resource("budget_executions")
ProjectsResource = _resource("projects")
ProjectFundsResource = _resource("project_funds")
NarrativesResource = _resource("narratives")
IndicatorsResource = _resource("indicators")


class DataAdminMixin:
    """Import and export for an admin class, on the project's permissions and datasets.

    Mix in before django-import-export's ImportExportMixin.
    """

    import_formats = IMPORT_FORMATS
    export_formats = EXPORT_FORMATS
    # CSV from the admin is opened by double-click: Excel reads UTF-8 only after a BOM (on
    # Chinese Windows it would take the file for GBK). /exports/ offers it with ?bom=1.
    to_encoding = "utf-8-sig"
    import_error_display = ("message",)
    import_template_name = "evaluations/data_admin_import.html"

    def get_import_context_data(self, **kwargs):
        context = super().get_import_context_data(**kwargs)
        context["data_templates"] = [
            (
                resource.get_display_name(),
                reverse("evaluations:data_template", args=[resource.dataset_name]),
            )
            for resource in self.resource_classes
        ]
        return context

    def get_export_form_class(self):
        from import_export.forms import ExportForm

        return ExportForm  # the columns are fixed; no field picking

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm(access.IMPORT_DATA)

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm(access.EXPORT_DATA)

    def get_export_resource_kwargs(self, request, **kwargs):
        return {}

    def get_data_for_export(self, request, queryset, **kwargs):
        resource_class = self.choose_export_resource_class(kwargs.get("export_form"), request)
        return resource_class().export(
            queryset=queryset, user=request.user,
            force_native_type=kwargs.get("force_native_type", False),
        )

    def process_result(self, result, request):
        """After confirm: a refused import (the data changed since the preview) says why.

        django-import-export would report "import finished" and log nothing either way.
        """
        outcome = getattr(result, "import_outcome", None)
        if outcome is None or outcome.ok:
            return super().process_result(result, request)
        for error in outcome.errors[:MESSAGE_LIMIT]:
            messages.error(request, str(error))
        messages.error(request, gettext("未导入任何数据。"))
        app_label, model_name = self.get_model_info()
        return HttpResponseRedirect(
            reverse(f"admin:{app_label}_{model_name}_import", current_app=self.admin_site.name)
        )

    def add_data_read_fail_error_to_form(self, form, e):
        form.add_error("import_file", str(e) if isinstance(e, ValueError) else repr(e))
