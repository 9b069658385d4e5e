from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    verbose_name = _("绩效自评报告")

    def ready(self) -> None:
        # The shared database cache needs its table; `migrate` is the one command every
        # deployment runs, so the table follows it (createcachetable is idempotent).
        post_migrate.connect(_create_cache_table, sender=self)
        from evaluations import attachments, scores

        scores.connect()  # stored scores follow every write (evaluations/scores.py)
        attachments.connect()  # stored files follow their attachment rows


def _create_cache_table(sender, using: str = "default", verbosity: int = 1, **kwargs) -> None:
    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))
