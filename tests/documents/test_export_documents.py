"""manage.py export_documents: DIR/<code>/ with the three files, published reports only."""

from __future__ import annotations

import hashlib

import pytest
from django.core.management import CommandError, call_command

from evaluations.documents import generate, storage
from evaluations.models import ReportDocument

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
