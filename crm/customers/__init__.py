"""Customers, their contacts and phone numbers: records, search, CSV import and export."""
