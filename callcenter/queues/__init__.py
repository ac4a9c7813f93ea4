"""Queues: their records, numbers, members and skills; live presence of agents and waiting
callers; wrap-up."""
