"""Queue totals per 15-minute interval: counted in SQL, kept as calls are stored, read."""
