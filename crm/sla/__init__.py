"""Service levels: SLA policies, business hours, due times and the escalation sweep."""
