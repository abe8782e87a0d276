"""The person's own pages at the IdP: profile (and later links and children)."""
