"""Stage files (environments/*.yaml) and the overrides they put on a tree."""
