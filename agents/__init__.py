"""The marketing agents. Each sub-package has the same files for the same roles:

- `__init__.py`: the manifest and `AGENT` (manifest + pure function + parameters class);
- `run.py`: the pure function, typed frames and a run context in, typed frames and decisions out;
- `parameters.py`: the pydantic parameters.

Agents import only pandas/numpy/statsmodels/scipy and `mops.core` (runtime types, the strict base);
they never open a connection, read the environment or import Prefect. The application discovers them
(mops.app.catalog).
"""
