"""Operators of the console, their roles and their API tokens (issue 16 item 3).

An account's role is its `Operator` profile's. Accounts without a profile keep working as they
did before roles existed: a superuser, or a staff account (made by `createsuperuser`,
`ensure_admin` or Django's admin), is an administrator; any other account has no console. A
superuser is an administrator whatever its profile says (Django's admin lets it do anything
anyway). Deciding this in `accounts.selectors.scope_for` rather than in a data migration means
the staff accounts created after the migration need no profile either.
"""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")
    SITE_MANAGER = "site_manager", _("Site manager")
    VIEWER = "viewer", _("Viewer")


class Operator(models.Model):
    """What an account may do in the console and the API.

    administrator: everything, operator accounts included. site_manager: only their `sites`
    (a site is a root area; the areas below it come with it): its boxes, the people in groups
    attached there, their events, commands and attendance; writes only within them. viewer:
    everything, read only. `sites` matter to site managers only."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="operator")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    # A string reference: accounts sits below devices in the import layers (every app asks it
    # for the request's scope), so it names the area model without importing it.
    sites = models.ManyToManyField("devices.Area", related_name="operators", blank=True, verbose_name=_("sites"),
                                   limit_choices_to={"parent__isnull": True})

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.get_role_display()})"


class ApiToken(AbstractAuthToken):
    """An operator's named key to the REST API. Only the key's SHA-512 digest is stored (knox):
    the key itself is shown once, when it is made, and cannot be read back."""

    # Knox keys a token by its digest; a plain number names it in the console's URLs instead.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(_("name"), max_length=100)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def shown_prefix(self) -> str:
        """The key's first characters, to tell tokens apart (never enough to use one)."""
        return self.token_key[:8]
