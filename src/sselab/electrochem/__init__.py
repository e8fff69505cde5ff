"""sselab.electrochem."""
