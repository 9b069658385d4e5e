"""Signals the lower layer sends for the layer above (indicators imports nothing from evaluations).

``indicators_written``: indicators were created or updated in bulk (``bulk_create`` and
``bulk_update``, which send no ``post_save``); ``report_ids`` are their reports. The stored
scores of those reports are recomputed by evaluations/scores.py.
"""

from django.dispatch import Signal

indicators_written = Signal()
