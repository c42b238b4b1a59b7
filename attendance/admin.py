from django.contrib import admin

from .models import Correction, Holiday, Shift, ShiftAssignment

admin.site.register([Shift, ShiftAssignment, Holiday])


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ["person", "day", "reason", "made_by_name", "made_at"]
