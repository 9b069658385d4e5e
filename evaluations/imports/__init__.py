"""Data in: files read, cells parsed, rows checked and written all or nothing."""
