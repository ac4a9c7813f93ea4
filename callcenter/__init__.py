"""callcenter: a telephony CRM for call centers and service desks, on Asterisk."""

__version__ = "0.1.0"
