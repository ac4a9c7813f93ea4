"""The CRM: customers, contacts, numbers, history, tickets, SLAs, knowledge base, callbacks."""
