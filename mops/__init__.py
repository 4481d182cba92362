"""mops: orchestration for marketing-operations agents on one governed dbt data model."""

__version__ = "0.1.0"
