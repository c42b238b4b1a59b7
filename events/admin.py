"""Django admin views of events and of the quarantine (read-only: boxes are the source)."""
from django.contrib import admin

from .models import Event, QuarantinedEvent, Relabel


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "box", "identity_id", "identity_name", "person_type", "score", "channel"]
    list_filter = ["channel", "person_type", "box"]
    search_fields = ["identity_id", "identity_name", "ep_id"]
    date_hierarchy = "occurred_at"


@admin.register(QuarantinedEvent)
class QuarantinedEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "box", "channel", "position", "reason", "times_received", "raw_size"]
    list_filter = ["channel", "box"]
    search_fields = ["reason"]
    exclude = ["raw"]  # may be megabytes of base64: download it from the console instead


@admin.register(Relabel)
class RelabelAdmin(ReadOnlyAdmin):
    list_display = ["at", "event", "reason", "from_identity_id", "to_identity_id", "by"]
    list_filter = ["reason"]
    search_fields = ["from_identity_id", "to_identity_id"]
