"""Work that does I/O: planning, apply, pull, live reads, sources, backups, approvals, init."""
