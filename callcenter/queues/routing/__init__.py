"""Call routing: which queue, priority and agent a call gets, decided on facts (no CRM import)."""
