"""Calibrate MLIPs on sselab's own DFT: label configurations with GPAW, fine-tune, compare."""
