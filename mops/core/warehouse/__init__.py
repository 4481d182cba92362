"""The warehouse adapters: the only code that opens a connection (DuckDB file or PostgreSQL)."""
