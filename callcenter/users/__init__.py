"""Users, teams, agents' PBX identities and API tokens."""
