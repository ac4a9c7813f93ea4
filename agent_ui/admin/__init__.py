"""The admin pages: users and their tokens, teams, SLA policies and business hours, the
knowledge base; for the admin role only."""
