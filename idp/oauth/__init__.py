"""OAuth 2.0 / OpenID Connect protocol core: Authlib subclasses and pure helpers, no views."""
