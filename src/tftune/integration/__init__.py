"""Adapters that let other tools use tftune's samplers and storage (each needs its extra)."""
