"""Logging a person in: pending logins (interactions), passwords, throttling, the login page."""
