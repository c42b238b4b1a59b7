"""Operators of the console and their roles (issue 16 item 3).

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
