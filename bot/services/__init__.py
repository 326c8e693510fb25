"""Use cases over the repositories; what handlers and the CLI call."""
