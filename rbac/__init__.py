"""Casbin model, default policy, enforcer, scope and masking helpers (the RBAC issue)."""
