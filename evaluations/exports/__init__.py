"""Data out: streamed CSV of the datasets, the fast PostgreSQL path, the audit trail."""
