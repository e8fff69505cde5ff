"""sselab.diffraction."""
