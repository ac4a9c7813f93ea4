"""Queues and their members: live presence of agents and waiting callers, wrap-up."""
