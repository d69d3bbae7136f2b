"""The Providers screen's widgets."""
