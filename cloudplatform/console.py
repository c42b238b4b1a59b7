"""What every console page shares (who may open one: accounts.console)."""
from django.http import HttpRequest

# URL names by the navigation item they belong to (the first matching prefix wins).
NAV_SECTIONS = [
    ("box-", "boxes"), ("area-", "boxes"), ("person-", "people"), ("import-", "people"), ("event-", "events"),
    ("group-", "groups"), ("facegroup-", "groups"), ("command-", "commands"), ("fiqa", "fiqa"),
    ("face-", "faces"),
    ("attendance-", "attendance"),
    ("account-", "account"), ("operator-", "account"), ("password-", "account"), ("audit-", "account"),
]


def navigation(request: HttpRequest) -> dict:
    """Template context: `nav_section`, the navigation item of the page shown (aria-current)."""
    match = getattr(request, "resolver_match", None)
    name = (match.url_name if match else "") or ""
    return {"nav_section": next((section for prefix, section in NAV_SECTIONS if name.startswith(prefix)), "")}
