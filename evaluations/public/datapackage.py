"""`/data/<year>/datapackage.json`: a year's CSV files described as a Frictionless data package.

Everything is read from the dataset registry (evaluations/datasets.py), the one definition of
the columns that imports, exports and the dictionary share: each column becomes a field
(type, unit, meaning, codes as an enum, required), each dataset's readable key its primary
key, and its ``year``/``department_code`` (and project) columns foreign keys to the files
they point into. Each file's SHA-256 and size are those of the bytes `/data/<year>/<name>.csv?header=keys`
serves, from the same streamed writer; they are computed once per version stamp (the view is a
public_page, cached under the stamp like every public page). Spec: https://specs.frictionlessdata.io/
"""

from __future__ import annotations

import hashlib

from django.utils.translation import gettext

from evaluations import datasets as ds
from evaluations.exports.streams import ExportFilters, stream_csv_bytes
from evaluations.models import FundingSource

# Frictionless types of the registry's column types; numbers are plain (no grouping) decimals.
FIELD_TYPES = {
    ds.TEXT: "string", ds.CODE: "string", ds.YEAR: "integer", ds.INTEGER: "integer",
    ds.AMOUNT: "number", ds.VALUE: "number", ds.POINTS: "number", ds.RATE: "number",
    ds.BOOLEAN: "boolean", ds.CHOICE: "string", ds.FUNDING_SOURCE: "string", ds.DATE: "date",
}
HEADER = "keys"  # field names are the column keys (docs/design.md, "Interfaces")

# Which columns point into which dataset's key, beyond year + department_code → reports.
PROJECT_REFERENCES = {"project_funds": "project_code", "indicators": "project_code"}


def file_path(dataset: ds.Dataset) -> str:
    """The file's address relative to the descriptor (/data/<year>/): the keys-header CSV."""
    return f"{dataset.name}.csv?header={HEADER}"


def _field(column: ds.Column, sources: dict[str, list[str]]) -> dict:
    # A column type added to the registry later (a date, say) is "any" until it is mapped here.
    field = {"name": column.key, "title": str(column.label), "type": FIELD_TYPES.get(column.type, "any")}
    if column.meaning:
        field["description"] = str(column.meaning)
    if column.unit:
        field["unit"] = str(column.unit)
    if column.type == ds.BOOLEAN:
        field["trueValues"], field["falseValues"] = ["true"], ["false"]
    constraints = {}
    if column.required and not column.derived:
        constraints["required"] = True
    if column.type == ds.CHOICE:
        constraints["enum"] = [code for code, _label in column.choices]
    elif column.type == ds.FUNDING_SOURCE:
        constraints["enum"] = sources.get(column.source_kind, [])
    if constraints:
        field["constraints"] = constraints
    return field


def _foreign_keys(dataset: ds.Dataset) -> list[dict]:
    keys = {c.key for c in dataset.columns}
    out = []
    if dataset.name == "reports":
        out.append({"fields": ["department_code"],
                    "reference": {"resource": "departments", "fields": ["code"]}})
    elif {"year", "department_code"} <= keys and dataset.name != "departments":
        out.append({"fields": ["year", "department_code"],
                    "reference": {"resource": "reports", "fields": ["year", "department_code"]}})
    column = PROJECT_REFERENCES.get(dataset.name)
    if column and column in keys and dataset.column(column).required:
        # Department-level indicators leave project_code empty, so only required references are
        # declared: a key with an empty part cannot point anywhere.
        out.append({"fields": ["year", "department_code", column],
                    "reference": {"resource": "projects", "fields": ["year", "department_code", "code"]}})
    return out


def file_digest(dataset: ds.Dataset, year: int) -> tuple[str, int]:
    """SHA-256 and size of the year's published file as /data/ serves it with ``header=keys``."""
    digest, size = hashlib.sha256(), 0
    filters = ExportFilters(years=[year], published_only=True)
    for piece in stream_csv_bytes(dataset, filters, header=HEADER):
        digest.update(piece)
        size += len(piece)
    return digest.hexdigest(), size


def resource(dataset: ds.Dataset, year: int, sources: dict[str, list[str]]) -> dict:
    sha256, size = file_digest(dataset, year)
    schema: dict = {"fields": [_field(c, sources) for c in dataset.columns]}
    schema["primaryKey"] = list(dataset.key)
    foreign_keys = _foreign_keys(dataset)
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": dataset.name, "title": str(dataset.label), "description": str(dataset.description),
        "path": file_path(dataset), "profile": "tabular-data-resource",
        "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
        "bytes": size, "hash": f"sha256:{sha256}",
        "dialect": {"delimiter": ",", "lineTerminator": "\n", "quoteChar": '"', "doubleQuote": True},
        "schema": schema,
    }


def data_package(year: int) -> dict:
    """The descriptor for ``year``'s published data (every dataset of the registry)."""
    sources: dict[str, list[str]] = {}
    for kind, code in FundingSource.objects.order_by("position", "code").values_list("kind", "code"):
        sources.setdefault(kind, []).append(code)
    return {
        "profile": "tabular-data-package",
        "name": f"jixiao-{year}",
        "title": gettext("%(year)s年度绩效自评公开数据") % {"year": year},
        "description": gettext("已公开报告的数据。金额单位为万元，比率为百分数；各列说明见 /data/。"),
        "resources": [resource(d, year, sources) for d in ds.OPEN_DATA],
    }
