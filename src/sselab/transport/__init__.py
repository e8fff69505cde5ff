"""sselab.transport."""
