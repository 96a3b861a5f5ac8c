"""Governed access: identity (bearer JWTs), roles and scopes enforced in one place (policy.py),
the front door (requests, decisions, grants), the dissemination register and the access log."""
