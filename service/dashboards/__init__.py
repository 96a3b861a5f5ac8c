"""Dashboards: views over the roll-up engine, charts and map outlines."""
