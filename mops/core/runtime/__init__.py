"""The agent runtime: manifests, run context, the one warehouse adapter, gates and the runner."""
