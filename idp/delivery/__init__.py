"""Outgoing messages: the outbox, its senders (HTTP, SMTP) and the worker that retries them."""
