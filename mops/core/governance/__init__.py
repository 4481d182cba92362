"""Governance: who may do what (policy), what was done (the audit ledger), and what may run (production)."""
