"""Fields only the server should set, one policy for both languages: a client that sends them in a request
body and sees them stored has given itself a privilege (mass assignment).

Names are compared in snake case (``isAdmin`` and ``is_admin`` alike).
"""

from __future__ import annotations

import re

#: Privileges, verification flags, money and paid plans.
PRIVILEGED = re.compile(r"^(?:is_?admin|admin|is_staff|is_superuser|superuser|permissions|is_verified|verified"
                        r"|email_verified|balance|credit|credits|available_credit|subscription(?:_type|_tier|_plan"
                        r"|_status)?|plan|tier)$")
#: A role is a privilege when it is a user's or an account's (a chat message has a role too).
USER_ROLE = re.compile(r"^(?:role|roles|user_type|account_type)$")
USER_TARGET = re.compile(r"user|account|member|profile", re.IGNORECASE)


def snake(name: str) -> str:
    """``subscriptionType`` -> ``subscription_type``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def privileged(name: str, target: str) -> bool:
    """Whether a field called ``name``, stored on ``target`` (a model, table or variable name), is one only
    the server should set."""
    key = snake(name)
    return bool(PRIVILEGED.match(key) or (USER_ROLE.match(key) and USER_TARGET.search(target)))
