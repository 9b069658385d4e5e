"""Shared helpers with no models: how figures and lists of names read."""
