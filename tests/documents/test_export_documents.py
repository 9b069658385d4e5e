"""manage.py export_documents: DIR/<code>/ with the three files, published reports only."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.management import CommandError, call_command

from evaluations.documents import generate, storage
from evaluations.models import Report, ReportDocument
from tests.factories import ReportFactory

pytestmark = pytest.mark.django_db


def test_writes_the_three_files_of_each_published_report(sample_report, tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "builders", lambda: {
        kind: (lambda article, kind=kind: f"{kind}:{article.report.pk}".encode())
        for kind in storage.KINDS
    })
    call_command("export_documents", "--year", "2022", "--output", str(tmp_path))
    folder = tmp_path / "dongjiaduan"
    assert sorted(p.name for p in folder.iterdir()) == [
        "report.docx", "report.pdf", "self-evaluation.xlsx"]
    assert (folder / "report.pdf").read_bytes() == f"pdf:{sample_report.pk}".encode()
    with pytest.raises(CommandError, match="No published report"):
        call_command("export_documents", "--year", "2021", "--output", str(tmp_path / "none"))


@pytest.mark.postgresql_only
@pytest.mark.django_db(transaction=True)
def test_jobs_build_in_forked_worker_processes(sample_report, tmp_path):
    """``--jobs 2`` on PostgreSQL: workers forked once the parent has closed its connection
    pool (a worker forked beside the pool's threads waited for ever) write the same three
    files, on the parent's database."""
    call_command("export_documents", "--year", "2022", "--output", str(tmp_path), "--jobs", "2")
    folder = tmp_path / "dongjiaduan"
    assert sorted(p.name for p in folder.iterdir()) == [
        "report.docx", "report.pdf", "self-evaluation.xlsx"]
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    stored = {d.kind: d.sha256 for d in ReportDocument.objects.filter(report=sample_report)}
    assert stored["pdf"] == hashlib.sha256((folder / "report.pdf").read_bytes()).hexdigest()


# Transactional: forked() closes the connections, which a test's transaction would not
# survive on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_the_exporting_process_builds_beside_its_workers(tmp_path, monkeypatch):
    """``--jobs 2``: one forked worker and the exporting process itself, from one queue (a
    parent that only waited held memory for nothing); the fonts are loaded before the fork."""
    from evaluations.documents import export, export_worker, pdf
    from evaluations.documents.export import export_year

    for _ in range(6):
        ReportFactory(status=Report.Status.PUBLISHED)

    monkeypatch.setattr(export, "write_report", _record_builder)
    monkeypatch.setattr(export_worker, "write", _record_builder)
    year = Report.objects.values_list("fiscal_year__year", flat=True).first()
    seen = []
    assert export_year(year, tmp_path, jobs=2, progress=lambda done, total, code: seen.append(done)) == 6
    assert seen == [1, 2, 3, 4, 5, 6]
    builders = {(folder / "pid").read_text() for folder in tmp_path.iterdir()}
    assert len(list(tmp_path.iterdir())) == 6
    assert str(os.getpid()) in builders and len(builders) == 2
    assert pdf._prepared.cache_info().currsize == 1  # warm_up(): loaded before the fork


def _record_builder(pk, directory):
    """Instead of the builders (tested elsewhere): which process built the report."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pid").write_text(str(os.getpid()))
