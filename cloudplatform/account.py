"""The administrator's own account: changing one's password, and the first password's file.

`manage.py ensure_admin` writes a generated first password to var/initial-admin-password so a
fresh install can be logged into. The file must not outlive its use: it is removed as soon
as that administrator chooses a password of their own.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext as _


def initial_password_file() -> Path:
    return settings.VAR_DIR / "initial-admin-password"


def write_initial_password(username: str, password: str) -> Path:
    path = initial_password_file()
    path.write_text(f"{username} {password}\n")
    path.chmod(0o600)
    return path


def forget_initial_password(username: str) -> bool:
    """Remove the first password's file when it belongs to `username`; True if removed."""
    path = initial_password_file()
    try:
        owner = path.read_text().split(maxsplit=1)[0]
    except (OSError, IndexError):
        return False
    if owner != username:
        return False
    path.unlink(missing_ok=True)
    return True


class ChangeOwnPasswordView(auth_views.PasswordChangeView):
    """Django's password change (validators applied), then the first password's file goes."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("console-home")

    def form_valid(self, form):
        response = super().form_valid(form)
        if forget_initial_password(self.request.user.get_username()):
            messages.success(self.request, _("Password changed. The generated first password's file was removed."))
        else:
            messages.success(self.request, _("Password changed."))
        return response
