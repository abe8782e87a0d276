"""Use cases shared by the CLI, the admin pages and the API. Callers commit."""
