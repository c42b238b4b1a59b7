"""Attendance rows as the API gives them: computed, not stored, so plain serializers."""
from rest_framework import serializers


class CorrectionSerializer(serializers.Serializer):
    reason = serializers.CharField()
    first_in = serializers.TimeField(allow_null=True)
    last_out = serializers.TimeField(allow_null=True)
    excused = serializers.BooleanField()
    made_by = serializers.CharField(help_text="Username of the administrator who made it")
    made_at = serializers.DateTimeField(allow_null=True)


class AttendanceDaySerializer(serializers.Serializer):
    day = serializers.DateField(help_text="The day in the site's TIME_ZONE (an overnight shift's is the day it starts)")
    person = serializers.IntegerField(source="person.pk")
    identity_id = serializers.CharField(source="person.identity_id")
    name = serializers.CharField(source="person.name")
    shift = serializers.CharField(help_text="Name of the person's shift; empty when they have none")
    workday = serializers.BooleanField(help_text="The shift is worked that day of the week and it is no holiday")
    holiday = serializers.CharField(help_text="The holiday's name, when the day is one")
    first_in = serializers.DateTimeField(allow_null=True, help_text="First passage (or the correction's), site time")
    last_out = serializers.DateTimeField(allow_null=True, help_text="Last passage (or the correction's); null with "
                                                                    "one passage only")
    minutes_present = serializers.IntegerField()
    late_minutes = serializers.IntegerField(help_text="Minutes after the shift's start; 0 within the grace")
    early_minutes = serializers.IntegerField(help_text="Minutes before the shift's end; 0 within the grace")
    absent = serializers.BooleanField(help_text="A workday over with no passage and no excuse")
    incomplete = serializers.BooleanField(help_text="One passage only: an arrival without a departure")
    passages = serializers.IntegerField(help_text="Passages counted in the day's window")
    correction = CorrectionSerializer(allow_null=True)


class AttendanceSummarySerializer(serializers.Serializer):
    month = serializers.SerializerMethodField(help_text="YYYY-MM")
    person = serializers.IntegerField(source="person.pk")
    identity_id = serializers.CharField(source="person.identity_id")
    name = serializers.CharField(source="person.name")
    workdays = serializers.IntegerField()
    days_present = serializers.IntegerField()
    late_days = serializers.IntegerField()
    late_minutes = serializers.IntegerField()
    early_days = serializers.IntegerField()
    early_minutes = serializers.IntegerField()
    absent_days = serializers.IntegerField()
    incomplete_days = serializers.IntegerField()
    corrected_days = serializers.IntegerField()
    minutes_present = serializers.IntegerField()

    def get_month(self, total) -> str:
        return self.context["month"].strftime("%Y-%m")
