"""Supervisor pages: the live wallboard, interval reports and staffing."""
