"""The warm starter: a background process that has imported the CLI and Prefect, forking one child per command.

`wire` (paths, framing, identity checks; standard library only) is shared by `client` (what the `mops`
command tries first), `service` (the warm process's loop) and `control` (start, stop, status beside the
persistent Prefect server). The warm process's program is `mops.app.cli.warm_main`: it knows the CLI;
nothing here imports it.
"""
