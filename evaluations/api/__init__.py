"""The read-only JSON API at /api/v1/ (docs/design.md, "Read-only API and open data")."""
