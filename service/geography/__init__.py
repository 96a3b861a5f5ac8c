"""Organisations placed in geographic areas, by explicit method."""
