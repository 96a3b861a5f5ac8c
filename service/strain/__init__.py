"""Strain flags: an area's value (current or forecast) against the threshold its metric names."""
