"""How a secret appears in the audit trail: that it was set or changed, never its value (nor a
part of it: django-auditlog's default mask keeps half the string)."""

MASK = "••••••"


def mask_secret(value: str) -> str:
    return MASK if value not in ("", "None") else ""
