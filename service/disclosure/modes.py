"""The attacks a disclosure audit can try, by name (service/disclosure/attack.py runs them):
apart from the attack, so the CLI offers them without importing SciPy for every command."""

from __future__ import annotations

EXACT, PRIMARY, PERTURBED = "exact", "primary", "perturbed"
MODES = (EXACT, PRIMARY, PERTURBED)
