"""The public site: published reports by year and department, open data, charts, page cache."""
