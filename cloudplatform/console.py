"""What every console page shares."""
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# URL names by the navigation item they belong to (the first matching prefix wins).
NAV_SECTIONS = [
    ("box-", "boxes"), ("area-", "boxes"), ("person-", "people"), ("import-", "people"), ("event-", "events"),
    ("group-", "groups"), ("facegroup-", "groups"), ("command-", "commands"), ("fiqa", "fiqa"),
    ("face-", "faces"),
    ("attendance-", "attendance"),
    ("account-", "account"), ("operator-", "account"), ("password-", "account"), ("audit-", "account"),
]


class AdminRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Console pages are for administrators (staff). Visitors who are not logged in go to the
    login page; a logged-in account without staff status gets the 403 page saying why."""

    permission_denied_message = _(
        "This console is for administrators. Your account is not one: ask an administrator to give it "
        "staff status, or log in with another account."
    )

    def test_func(self) -> bool:
        return self.request.user.is_staff


def navigation(request: HttpRequest) -> dict:
    """Template context: `nav_section`, the navigation item of the page shown (aria-current)."""
    match = getattr(request, "resolver_match", None)
    name = (match.url_name if match else "") or ""
    return {"nav_section": next((section for prefix, section in NAV_SECTIONS if name.startswith(prefix)), "")}
