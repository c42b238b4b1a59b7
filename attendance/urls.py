from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.DailyReportView.as_view(), name="attendance-daily"),
    path("monthly/", views.MonthlyReportView.as_view(), name="attendance-monthly"),
    re_path(r"^(?P<report>daily|monthly)\.(?P<fmt>csv|xlsx)$", views.ExportView.as_view(), name="attendance-export"),
    path("shifts/", views.ShiftListView.as_view(), name="attendance-shifts"),
    path("shifts/new/", views.ShiftEditView.as_view(), name="attendance-shift-create"),
    path("shifts/<int:pk>/", views.ShiftEditView.as_view(), name="attendance-shift-edit"),
    path("shifts/<int:pk>/delete/", views.ShiftDeleteView.as_view(), name="attendance-shift-delete"),
    path("holidays/", views.HolidayListView.as_view(), name="attendance-holidays"),
    path("holidays/<int:pk>/delete/", views.HolidayDeleteView.as_view(), name="attendance-holiday-delete"),
    path("corrections/", views.CorrectionListView.as_view(), name="attendance-corrections"),
    path("corrections/<int:pk>/delete/", views.CorrectionDeleteView.as_view(), name="attendance-correction-delete"),
]
