"""sselab.thermo."""
