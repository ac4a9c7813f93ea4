"""The knowledge base: known problems and their solutions."""
