"""The core layer: settings, errors, landing formats, contracts, ingest, warehouse adapters, the agent
runtime and the ops records. It imports nothing from agents/, flows/, mops.app or demo/."""
