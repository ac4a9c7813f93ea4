"""FastAGI: Asterisk asks over TCP, scripts answer with SET VARIABLE (no CRM in here)."""
