"""The three official files of a report: their kinds, names and the stored files' list.

A published revision's Word, PDF and 自评表 files are kept in Django's default storage with
their size and SHA-256 and never rewritten (``ReportDocument``), so ``?revision=N`` serves
what was published then. This module only names and lists them; building and storing them is
generate.py's, which the workflow calls at publication, so the public pages that list the
files do not import the builders (docs/design.md, "Official documents").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from evaluations.models import Report, ReportDocument


def ascii_download_name(report: Report, filename: str, earlier: int | None = None) -> str:
    """The ASCII name beside download_name, for clients that read only ``filename``
    (exports/delivery.attachment): 2022-dongjiaduan-report.pdf, draft- in front of a draft's,
    -r1 before the extension of an earlier revision's."""
    name = f"{report.fiscal_year.year}-{report.department.code}-{filename}"
    if earlier is not None:
        name = _before_extension(name, f"-r{earlier}")
    return name if report.status == Report.Status.PUBLISHED else "draft-" + name


def _before_extension(name: str, mark: str) -> str:
    """``mark`` put before the file name's extension: report-r1.docx, 自评报告（第1版）.docx."""
    stem, dot, extension = name.rpartition(".")
    return f"{stem}{mark}{dot}{extension}"


@dataclass(frozen=True)
class Kind:
    code: str
    filename: str  # in URLs and the export directory
    suffix: str  # of the Chinese download name
    content_type: str


KINDS = {
    "docx": Kind("docx", "report.docx", "整体支出绩效自评报告.docx",
                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": Kind("pdf", "report.pdf", "整体支出绩效自评报告.pdf", "application/pdf"),
    "xlsx": Kind("xlsx", "self-evaluation.xlsx", "绩效自评表.xlsx",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
BY_FILENAME = {kind.filename: kind for kind in KINDS.values()}


def download_name(report: Report, kind: str, earlier: int | None = None) -> str:
    """2022年度<department>整体支出绩效自评报告.docx, 草稿 in front while not published,
    （第1版） before the extension of an earlier revision's (two revisions saved side by side
    are told apart)."""
    name = f"{report.fiscal_year.year}年度{report.department.name}{KINDS[kind].suffix}"
    if earlier is not None:
        name = _before_extension(name, gettext("（第%(revision)s版）") % {"revision": earlier})
    if report.status != Report.Status.PUBLISHED:
        name = gettext("草稿") + "-" + name
    return name.replace("/", "-").replace("\\", "-")


@dataclass(frozen=True)
class Listed:
    """One line of the public page's 公开文件: a file, and its size and SHA-256 once stored."""

    revision: int
    filename: str
    label: str
    size: int | None = None
    sha256: str = ""


def stored_documents(report: Report) -> dict[str, list[Listed]]:
    """The report page's 公开文件 (one query): ``current``, the published revision's three
    files, and ``earlier``, the stored files of earlier revisions, newest first."""
    stored = list(ReportDocument.objects.filter(report=report).order_by("-revision", "kind"))
    by_key = {(d.revision, d.kind): d for d in stored}
    labels = dict(ReportDocument.Kind.choices)

    def listed(revision: int, kind: str) -> Listed:
        document = by_key.get((revision, kind))
        return Listed(revision, KINDS[kind].filename, str(labels[kind]),
                      document.size if document else None, document.sha256 if document else "")

    return {
        "current": [listed(report.revision, kind) for kind in KINDS],
        "earlier": [listed(d.revision, d.kind) for d in stored if d.revision < report.revision],
    }
