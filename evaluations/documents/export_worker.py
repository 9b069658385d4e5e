"""A worker process of ``export_documents --jobs N`` (documents/export.py), writing
reports through export_report.py.

Workers are started fresh ("spawn"), not forked: the parent's PostgreSQL connection pool
(psycopg's, config/settings.py) runs on threads a fork does not copy, and a forked worker
waited on them for ever. So this module imports nothing of Django's until ``start`` has set
it up in the new process.
"""

from __future__ import annotations

from pathlib import Path


def start(databases: dict[str, str]) -> None:
    """Set Django up in the worker, on the parent's databases (``databases``: each alias's
    name, which a test run changes after the settings are read)."""
    import django
    from django.conf import settings

    django.setup()
    for alias, name in databases.items():
        settings.DATABASES[alias]["NAME"] = name


def write(pk: int, directory: Path) -> None:
    from evaluations.documents.export_report import write_report

    write_report(pk, directory)
