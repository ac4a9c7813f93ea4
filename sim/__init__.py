"""Call-center simulator: scenario files, a fast discrete-event engine, a simulated PBX."""
