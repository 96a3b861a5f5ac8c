"""Disclosure audit: everything the public role can obtain for a metric and period, and the
attacker's linear programmes over it (`nhskg disclosure audit`)."""
