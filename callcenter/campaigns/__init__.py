"""Outbound: call lists, leads, campaigns, do-not-call lists and the dialer that works them."""
