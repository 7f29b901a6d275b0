"""Exercise catalogue and routines, as data."""
