import hashlib
import hmac
import re
from datetime import timedelta

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Callables, so that changing the site-wide default needs no migration.
def default_record_upload_period() -> int:
    return settings.BOX_RECORD_UPLOAD_PERIOD


def default_device_monitor_period() -> int:
    return settings.BOX_DEVICE_MONITOR_PERIOD


class Area(models.Model):
    """Where boxes stand: a site (an area without a parent) or an area inside one, such as a
    building, a floor or a gate. One model for every level: a site is only the tree's root, and
    filtering by a site or by a floor is the same question ("this area and those below it")."""

    name = models.CharField(_("name"), max_length=100)
    # PROTECT: an area with areas under it is never deleted by accident (devices/services.py
    # delete_area refuses it, and boxes, first).
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
                               verbose_name=_("inside"))

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="one_area_name_per_parent"),
            # NULL parents are all distinct to a unique index: sites need their own constraint.
            models.UniqueConstraint(fields=["name"], condition=models.Q(parent__isnull=True),
                                    name="one_site_per_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_site(self) -> bool:
        return self.parent_id is None


class Box(models.Model):
    """An edge box, known by the authorisation code (dev_sno) the platform issued it."""

    name = models.CharField(max_length=100)
    dev_sno = models.CharField("dev_sno", max_length=24, unique=True, editable=False)
    hex_mac = models.CharField(
        _("bound MAC"), max_length=14, blank=True, default="",
        help_text=_("Bound at the first login; empty until then."),
    )
    enabled = models.BooleanField(default=True)
    # Optional: boxes registered before sites existed have none and work as before.
    area = models.ForeignKey(Area, on_delete=models.PROTECT, null=True, blank=True, related_name="boxes",
                             verbose_name=_("area"))
    created_at = models.DateTimeField(auto_now_add=True)

    record_upload_period = models.PositiveIntegerField(
        default=default_record_upload_period, validators=[MinValueValidator(1)], help_text=_("seconds")
    )
    device_monitor_period = models.PositiveIntegerField(
        default=default_device_monitor_period, validators=[MinValueValidator(1)], help_text=_("seconds")
    )

    # Only the hash is kept: a leaked database does not let anyone act as a box.
    token_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    last_login_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_login_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set by any box call; cleared by the beat task when three status periods pass in silence.
    online = models.BooleanField(default=False, editable=False)
    # The last status report said gateway_status "offline": shown offline even while it calls.
    said_offline = models.BooleanField(default=False, editable=False)

    # The box's own RabbitMQ account; the password is handed out at every login.
    broker_password = models.CharField(max_length=64, editable=False)
    # The fingerprint (devices.broker.fingerprint) of the broker identity last made for this box
    # with these credentials: while it matches, a login only checks that the parts are still
    # there instead of making them all again; empty when never made or revoked.
    broker_provisioned = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = _("boxes")

    def __str__(self) -> str:
        return f"{self.name} ({self.dev_sno})"

    @property
    def slug(self) -> str:
        """The dev_sno as it appears in broker names (upstream codes are already safe)."""
        return re.sub(r"[^A-Za-z0-9_-]", "_", self.dev_sno)

    @property
    def broker_username(self) -> str:
        return f"box-{self.slug}"

    @property
    def queue_name(self) -> str:
        return f"aibox.box.{self.slug}"

    @property
    def fiqa_queue_name(self) -> str:
        """Where face-quality (fiqa) commands reach this box, apart from its user commands."""
        return f"aibox.fiqa.{self.slug}"

    @property
    def exchange_name(self) -> str:
        """Each box has its own fanout exchange, so reading it cannot reveal another box's commands."""
        return f"aibox.cmd.{self.slug}"

    def token_matches(self, token: str) -> bool:
        return bool(self.token_hash) and hmac.compare_digest(self.token_hash, hash_token(token))

    @property
    def is_online(self) -> bool:
        return self.enabled and self.online

    @property
    def silent_for_too_long(self) -> bool:
        """Three status periods without a word (a login or any authenticated box call counts)."""
        if self.last_seen_at is None:
            return True
        return timezone.now() - self.last_seen_at > timedelta(seconds=3 * self.device_monitor_period)


class BoxStatus(models.Model):
    """The latest status report of a box (part 2 §4.5.3), kept whole in `raw` too."""

    box = models.OneToOneField(Box, on_delete=models.CASCADE, related_name="status")
    reported_at = models.DateTimeField()
    gateway_ip = models.CharField(max_length=64, blank=True, default="")
    gateway_name = models.CharField(max_length=100, blank=True, default="")
    gateway_status = models.CharField(max_length=20, blank=True, default="")
    gateway_sn = models.CharField(max_length=100, blank=True, default="")
    sw_version = models.TextField(blank=True, default="")
    sdk_version = models.CharField(max_length=100, blank=True, default="")
    gateway_mac = models.CharField(max_length=40, blank=True, default="")
    cpu_usage = models.FloatField(null=True, blank=True, help_text="percent")
    memory_size = models.FloatField(null=True, blank=True, help_text="GB")
    memory_usage = models.FloatField(null=True, blank=True, help_text="fraction 0..1")
    disk_size = models.FloatField(null=True, blank=True, help_text="GB")
    disk_free_size = models.FloatField(null=True, blank=True, help_text="GB")
    raw = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"status of {self.box_id} at {self.reported_at}"


class SubDevice(models.Model):
    """A camera, pad or gate connected to a box (ep_id = <dev_sno>__<ip>)."""

    box = models.ForeignKey(Box, on_delete=models.CASCADE, related_name="sub_devices")
    ep_id = models.CharField(max_length=120)
    name = models.CharField(max_length=100, blank=True, default="")
    ip = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=20, blank=True, default="")
    location = models.CharField(max_length=120, blank=True, default="")
    device_type = models.PositiveSmallIntegerField(null=True, blank=True)
    stream_url = models.CharField(max_length=500, blank=True, default="")
    details = models.JSONField(default=dict, blank=True, help_text="The rest of the last operate event")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ep_id"]
        constraints = [models.UniqueConstraint(fields=["box", "ep_id"], name="one_sub_device_per_box")]

    def __str__(self) -> str:
        return self.name or self.ep_id
