"""The workflow engine: declarative specs (flows/workflows/*.yml) run by one generic Prefect flow."""
