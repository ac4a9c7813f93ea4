"""Callbacks the center owes: for callers who gave up waiting, or on request."""
