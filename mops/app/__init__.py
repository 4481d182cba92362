"""The application layer, the one composition root: the CLI, generation, serving and the demo.

It builds the catalog (agents + contracts) from settings and hands it down; nothing below imports it."""
