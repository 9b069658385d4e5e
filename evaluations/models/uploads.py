"""A file uploaded to the admin's import, waiting between its preview and the user's confirm.

Kept in the database rather than the cache (pruning dropped pending uploads) or one app
server's disk (the confirm may reach the other app server, docs/deployment.md).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import connections, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(32)


class PendingImportQuerySet(models.QuerySet):
    def expired(self):
        age = timedelta(seconds=settings.IMPORT_UPLOAD_MAX_AGE)
        return self.filter(created_at__lt=timezone.now() - age)

    def keep(self, *, user, dataset: str, filename: str, data: bytes) -> PendingImport:
        """Keep an upload for its confirm, its bytes sent once as they are.

        Django's PostgreSQL cursor writes parameters into the statement's text, where a
        20 MB file became a 40 MB hex literal and its copies (about 150 MB at the limit,
        bench/admin_import.py); on PostgreSQL the bytes go as a binary parameter instead.
        """
        connection = connections[self.db]
        if connection.vendor != "postgresql":
            return self.create(user=user, dataset=dataset, filename=filename, data=data,
                               size=len(data))
        pending = self.create(user=user, dataset=dataset, filename=filename, data=b"",
                              size=len(data))
        import psycopg  # only with the PostgreSQL backend

        table = connection.ops.quote_name(self.model._meta.db_table)
        with psycopg.Cursor(connection.connection) as cursor:  # binds on the server
            cursor.execute(f"UPDATE {table} SET data = %b WHERE id = %s",  # noqa: S608
                           [data, pending.pk])
        pending.data = data
        return pending


class PendingImport(models.Model):
    """待确认的导入文件: one upload, named by a random token, never by the user's file name."""

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dataset = models.CharField(_("数据集"), max_length=40)
    filename = models.CharField(_("文件名"), max_length=255)  # shown only, never a path
    data = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = PendingImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("待确认的导入")
        verbose_name_plural = _("待确认的导入")
        default_permissions = ()  # reached only through the import page

    def __str__(self) -> str:
        return f"{self.dataset} · {self.filename}"

    @property
    def is_expired(self) -> bool:
        return self.created_at < timezone.now() - timedelta(seconds=settings.IMPORT_UPLOAD_MAX_AGE)
