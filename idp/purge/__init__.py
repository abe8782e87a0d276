"""Purge: keep every table that records events bounded (issue 9: flat cost as history grows).

``rules`` says when a row is due (one predicate per table, the same for a real run and a dry
run); ``runner`` deletes what is due in bounded batches within a time budget, selecting each
batch ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so that several workers never wait on each other.
``idp worker`` runs it every ``PURGE_INTERVAL`` seconds; ``idp purge`` runs it once.
"""

from .runner import PurgeReport, purge

__all__ = ["PurgeReport", "purge"]
