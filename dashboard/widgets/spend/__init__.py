"""The Spend screen's widgets."""
