"""Plain data: resource kinds, keys and snapshots of an agent. No I/O, no API calls."""
