"""Supply Chain 360: a synthetic stock-and-flow return of critical equipment and supplies."""
