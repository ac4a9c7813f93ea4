"""Call records: one durable row per call, its queue visits, and agent-state intervals."""
