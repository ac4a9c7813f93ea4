"""The screen pop: who owns a presented number, with their open tickets and history."""
