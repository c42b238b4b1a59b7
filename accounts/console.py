"""Who may open a console page: the gate every page passes (replacing the staff-only one).

Any operator reads; a page that changes something (any request but GET/HEAD/OPTIONS) needs a
role that writes, so a viewer's POST is refused here, once, rather than in each view. A page
that only reads through POST (the face search's upload) sets `reads_by_post`. Administrator
pages (operator accounts) use AdministratorRequiredMixin. The view keeps the request's scope in
`self.scope` for its selectors."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .scope import Scope
from .selectors import scope_for

READING_METHODS = ("GET", "HEAD", "OPTIONS")
NO_CONSOLE = _("This console is for operators. Your account is not one: ask an administrator to give it a role, "
               "or log in with another account.")
READ_ONLY = _("Your role lets you look but not change anything: ask an administrator if you need to.")
ADMINISTRATORS_ONLY = _("Only administrators can open this page.")
BEYOND_SCOPE = _("This serves boxes outside your sites too: only an administrator can change it.")
ADMINISTRATORS_CHANGE = _("Only administrators can change this.")
EVERY_SITE = _("This page spans every site: it is for administrators and viewers.")


class OperatorRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Visitors who are not logged in go to the login page; an account without a console role,
    or a viewer asking to change something, gets the 403 page saying why."""

    reads_by_post = False
    scope: Scope

    def test_func(self) -> bool:
        scope = scope_for(self.request.user)
        if scope is None:
            self.permission_denied_message = NO_CONSOLE
            return False
        self.scope = scope
        if not self.allowed(scope):
            return False
        return True

    def allowed(self, scope: Scope) -> bool:
        reads = self.request.method in READING_METHODS or (self.request.method == "POST" and self.reads_by_post)
        if reads or scope.can_write:
            return True
        self.permission_denied_message = READ_ONLY
        return False


class WriterRequiredMixin(OperatorRequiredMixin):
    """A page whose every method is about changing something (a form to create or edit): a
    viewer is refused even the form."""

    def allowed(self, scope: Scope) -> bool:
        if scope.can_write:
            return True
        self.permission_denied_message = READ_ONLY
        return False


class AdministratorWritesMixin(OperatorRequiredMixin):
    """Every operator reads the page; only administrators change what it shows (what all sites
    share: shifts, holidays)."""

    def allowed(self, scope: Scope) -> bool:
        if self.request.method in READING_METHODS or scope.is_administrator:
            return True
        self.permission_denied_message = ADMINISTRATORS_CHANGE
        return False


class AllSitesRequiredMixin(OperatorRequiredMixin):
    """A page about every site at once, not narrowed to a site manager's yet (the strangers seen
    across boxes): administrators and viewers read it, administrators change it."""

    def allowed(self, scope: Scope) -> bool:
        if not scope.everything:
            self.permission_denied_message = EVERY_SITE
            return False
        return super().allowed(scope)


class AdministratorRequiredMixin(OperatorRequiredMixin):
    def allowed(self, scope: Scope) -> bool:
        if scope.is_administrator:
            return True
        self.permission_denied_message = ADMINISTRATORS_ONLY
        return False


def operator_required(view):
    """OperatorRequiredMixin for a function view (the API's documentation pages, which read)."""
    @login_required
    def checked(request, *args, **kwargs):
        if scope_for(request.user) is None:
            raise PermissionDenied(NO_CONSOLE)
        return view(request, *args, **kwargs)
    return checked


def require_writable(obj, writable: QuerySet, why: str = BEYOND_SCOPE) -> None:
    """The 403 page for an object the operator sees (it was found in their scope) but may not
    change: it reaches beyond their sites."""
    if not writable.filter(pk=obj.pk).exists():
        raise PermissionDenied(why)

