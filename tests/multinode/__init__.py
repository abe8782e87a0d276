"""Several IdP nodes (``idp serve`` processes) on one PostgreSQL and Redis behave as one."""
