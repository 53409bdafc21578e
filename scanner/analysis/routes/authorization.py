"""Authorization beyond "is signed in": which guards check a role, permission or membership, and which
routes change something only some users may change (roles, users, billing, API keys, members, settings).

Shared by every language's extractor (is this guard a role check?) and by the route detectors (does this
route need one?). Heuristics on names and source text, kept here in one place.
"""

from __future__ import annotations

import re

#: Names of guards that check more than identity: ``admin_required``, ``roles_required``, ``IsAdminUser``,
#: ``permission_required``, ``requireRole("owner")``, ``RoleChecker(["admin"])``, ``scopes=[...]``.
ROLE_NAME = re.compile(
    r"admin|super_?user|staff|role|permission|perm\b|owner|scope|privilege|membership|member_required|is_member"
    r"|team_member|org_member|workspace_member|acl\b|policy|can_\w+|access_level|rbac",
    re.IGNORECASE,
)
#: Code that compares the caller's role, permissions or membership (in a guard or at the top of a handler).
ROLE_CODE = re.compile(
    r"""\.role\b|!\s*[\w?.]+\??\.(?:is_?)?[aA]dmin\b|\brole\s*(?:==|!=|===|!==|\bin\b|not\s+in\b)|\broles?\s*\.\s*(?:includes|has|some)\(|\[['"]role['"]\]
    |\bis_admin\b|\bisAdmin\b|\bis_super_?user\b|\bis_staff\b|\bhas_perms?\(|\bhas_permission\w*\(|\bhasPermission\w*\(
    |\bhas_role\w*\(|\bhasRole\w*\(|\brequire_?[Rr]ole\w*\(|\bcheck_?[Pp]ermission\w*\(|\bcan_?[A-Z_]\w*\(
    |\bpermissions?\s*(?:==|!=|===|\bin\b|\.includes\(|\.has\()|\bscopes\b|\bis_owner\b|\bisOwner\b
    |\bowner_?[Ii]d\s*(?:==|!=|===|!==)|\bassert_?[Mm]ember\w*\(|\brequire_?[Mm]ember\w*\(|\bcheck_?[Mm]ember\w*\(
    |\bget_?[Mm]embership\w*\(|\bPermissionDenied\b|\bForbidden\w*\(|\bstatus(?:_code)?\s*[=:(]\s*403\b|\b403\b
    |HTTP_403_FORBIDDEN|['"]FORBIDDEN['"]|\bHTTPStatus\.FORBIDDEN\b|\.can_[a-z]\w*
    |\b(?:throw|assert|ensure|require|check|verify)_?(?:If|if)?_?\w*(?:Allowed|allowed|Permission|permission|Permitted
    |permitted|Role|role|Admin|admin|Owner|owner|Access|access)\w*\(|\bis_?[Aa]llowed\w*\(""",
    re.VERBOSE,
)

#: (what the route does, words of its handler name or path) for write routes any team member must not do.
_PRIVILEGED_WRITES = (
    ("changes roles or permissions", r"roles?|permissions?|privileges?|grant\w*|revoke\w*|promote|demote"
                                     r"|make_admin|set_admin"),
    ("manages team or workspace membership", r"members?|membership|invite\w*|invitations?|seats?"
                                             r"|transfer_ownership|kick"),
    ("manages other users", r"ban|unban|suspend|impersonate|deactivate_user|activate_user|approve_user"),
)
#: Team-scoped resources: a change to them is privileged when the handler acts on a team, not the caller.
_TEAM_RESOURCES = (
    ("manages billing", r"billing|subscriptions?|plans?|checkout|customer_portal|invoices?|payment\w*"),
    ("manages API keys", r"api_keys?|keys|tokens|secrets|credentials"),
    ("changes global settings", r"settings|config\w*|feature_flags?"),
)
_ADMIN_AREA = re.compile(r"(?:^|_)(?:admin|administration|management|superuser|staff)(?:_|$)")
_TEAM_CODE = re.compile(r"\b(?:team|workspace|organi[sz]ation|org|tenant)(?:_?[Ii]d)?\b", re.IGNORECASE)
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "ANY"})


def is_role_guard(name: str, code: str = "") -> bool:
    """A guard named like a role/permission/membership check, or whose code compares one."""
    return bool(ROLE_NAME.search(name)) or bool(code and ROLE_CODE.search(code))


def checks_role_inline(code: str) -> bool:
    """A handler that compares the caller's role, permissions or membership itself."""
    return bool(ROLE_CODE.search(code))


def _snake(text: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).lower().replace("-", "_")


def privileged_action(path: str | None, handler: str, methods: tuple[str, ...], code: str) -> str | None:
    """What a route does that only some users may do (``"is an administrative route"``), or None.

    Admin areas (``/admin/...``, ``/management/...``, ``AdminUserView``) at any method; writes that change
    roles, team membership or other users' standing (``remove_team_member``, ``inviteTeamMember``); and
    writes to a team's billing, API keys or settings (the handler acts on a team or workspace, not only on
    the caller's own account, which any signed-in user may change).
    """
    name = _snake(handler.rsplit(".", 1)[-1])
    segments = [s for s in _snake(path or "").split("/") if s and not s.startswith(("{", "<", ":", "["))]
    if any(_ADMIN_AREA.search(s) for s in [name, *segments]):
        return "is an administrative route"
    if not set(methods) & _WRITE_METHODS:
        return None
    subjects = [name, *segments]
    for what, words in _PRIVILEGED_WRITES:
        pattern = re.compile(rf"(?:^|_)(?:{words})(?:_|$)")
        if any(pattern.search(subject) for subject in subjects):
            return what
    if _TEAM_CODE.search(code):
        for what, words in _TEAM_RESOURCES:
            pattern = re.compile(rf"(?:^|_)(?:{words})(?:_|$)")
            if any(pattern.search(subject) for subject in subjects):
                return what
    return None
