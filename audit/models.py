"""The audit trail: one entry per change an operator made, written by django-auditlog's signal
receivers (registry.py says which models) or by `services.record_action` for what is not a
field change (a wipe sent to a box). Entries are only ever added: no page, API or admin action
edits or deletes one; only the site's retention, when set (AUDIT_RETENTION_DAYS), deletes old ones."""
from __future__ import annotations

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from .context import account_owner_acting, current_operation, current_operator
from .operations import operation_of

UPDATE = AbstractLogEntry.Action.UPDATE


class AuditEntryManager(LogEntryManager):
    """The one gate: an entry is written only while an operator acts (audit/context.py), and
    carries who, from where and what they were doing."""

    def log_create(self, instance, force_log: bool = False, **kwargs):
        operator = current_operator() or account_owner_acting(instance)
        if operator is None:
            return None
        if "operation" not in kwargs:
            read = operation_of(instance, kwargs.get("changes"))
            kwargs["operation"] = current_operation() or (read if kwargs.get("action") == UPDATE else "")
        kwargs.update(actor=operator.user, actor_name=operator.user.get_username(), remote_addr=operator.address)
        return super().log_create(instance, force_log=force_log, **kwargs)

    def log_m2m_changes(self, *args, **kwargs):  # memberships are recorded by audit/memberships.py
        return None


class AuditEntry(AbstractLogEntry):
    # What the operator did when it is more than the fields changed (services.OPERATIONS).
    operation = models.CharField(_("operation"), max_length=40, blank=True, default="", db_index=True)
    # Who, as written at the time: kept when the account is later renamed or deleted.
    actor_name = models.CharField(_("operator"), max_length=150, blank=True, default="", db_index=True)

    objects = AuditEntryManager()

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["content_type", "object_pk"], name="audit_entry_object")]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    @property
    def what(self) -> str:
        """The entry's action as the API and the filters name it: an operation's key, else
        create, update or delete."""
        return self.operation or ACTION_NAMES.get(self.action, "")

    @property
    def kind(self) -> str:
        """The changed object's kind as "app_label.model" (users.person)."""
        return f"{self.content_type.app_label}.{self.content_type.model}"


ACTION_NAMES = {AuditEntry.Action.CREATE: "create", AuditEntry.Action.UPDATE: "update",
                AuditEntry.Action.DELETE: "delete"}
