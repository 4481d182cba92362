"""Who is acting: one resolver, one documented order.

1. `MOPS_ACTOR` (the settings field `actor`): service accounts, CI, the demo (`demo-operator`).
2. Else the operating-system user running the process (`getpass.getuser()`).

Nothing here authenticates: the OS user is who the machine says is logged in, and MOPS_ACTOR is
whatever the environment claims. The policy is only as strong as who may set that environment
(CI secrets, the deployment's service account); the ledger records the claim either way.
"""

from __future__ import annotations

import getpass

from mops.core.governance.errors import PolicyError
from mops.core.settings import Settings


def resolve_actor(settings: Settings) -> str:
    """The identity the policy is checked against and the ledger records."""
    if settings.actor and settings.actor.strip():
        return settings.actor.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError) as exc:  # no login name and no passwd entry (some containers)
        message = "cannot tell who is acting: set MOPS_ACTOR to your identity in governance/policy.yml"
        raise PolicyError(message) from exc
