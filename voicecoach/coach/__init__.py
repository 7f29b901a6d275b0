"""The coach: events, the pure dialogue state machine, its script and catalogue."""
