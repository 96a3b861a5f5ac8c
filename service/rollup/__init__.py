"""Roll-ups of reported values by geography: the numbers store joined with organisation -> area
tables materialised per method when reference data changes (never per request)."""
