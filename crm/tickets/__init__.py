"""Tickets: service requests with their workflow, timeline and linked calls."""
