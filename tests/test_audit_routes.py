"""Every console page and API route that writes is covered by an audit test, or says why it
changes nothing: a route added later fails here until its changes are shown to reach the audit
trail (issue 16 item 4: every change made through the console or the API is recorded)."""
from django.urls import get_resolver

from . import test_audit, test_audit_console
from .roles_routes import _walk

WRITING_METHODS = ("post", "put", "patch", "delete")
OPERATORS_API = "tests/test_accounts_operators.py::test_the_audit_trail_records_invite_edit_disable_and_reset"

# Route → the test that makes that change and checks its entry (the API and console twins of
# one service share a test when only one of them is driven).
AUDITED = {
    "password-change": "test_accounts_password_and_api_tokens_changed_in_the_console",
    "account-tokens": "test_accounts_password_and_api_tokens_changed_in_the_console",
    "account-token-revoke": "test_accounts_password_and_api_tokens_changed_in_the_console",
    "operator-set-password": "test_operator_accounts_invited_changed_disabled_and_reset_in_the_console",
    "operator-create": "test_operator_accounts_invited_changed_disabled_and_reset_in_the_console",
    "operator-edit": "test_operator_accounts_invited_changed_disabled_and_reset_in_the_console",
    "operator-action": "test_operator_accounts_invited_changed_disabled_and_reset_in_the_console",
    "operator-token-revoke": "test_edits_of_groups_shifts_photos_and_others_tokens_in_the_console",
    "box-create": "test_boxes_and_areas_changed_in_the_console",
    "box-edit": "test_boxes_and_areas_changed_in_the_console",
    "box-action": "test_boxes_and_areas_changed_in_the_console",
    "box-command": "test_boxes_and_areas_changed_in_the_console",
    "area-create": "test_boxes_and_areas_changed_in_the_console",
    "area-edit": "test_boxes_and_areas_changed_in_the_console",
    "area-delete": "test_boxes_and_areas_changed_in_the_console",
    "area-groups": "test_people_groups_and_photos_changed_in_the_console",
    "person-create": "test_people_groups_and_photos_changed_in_the_console",
    "person-edit": "test_people_groups_and_photos_changed_in_the_console",
    "person-delete": "test_people_groups_and_photos_changed_in_the_console",
    "person-send": "test_people_groups_and_photos_changed_in_the_console",
    "person-photo-add": "test_edits_of_groups_shifts_photos_and_others_tokens_in_the_console",
    "person-photo-action": "test_edits_of_groups_shifts_photos_and_others_tokens_in_the_console",
    "group-create": "test_people_groups_and_photos_changed_in_the_console",
    "group-edit": "test_edits_of_groups_shifts_photos_and_others_tokens_in_the_console",
    "group-delete": "test_people_groups_and_photos_changed_in_the_console",
    "facegroup-create": "test_people_groups_and_photos_changed_in_the_console",
    "import-create": "test_an_import_run_by_the_worker_is_recorded_as_its_starter_s",
    "fiqa": "test_a_photo_check_sent_to_a_box_is_recorded",
    "event-feedback": "test_feedback_on_an_event_is_recorded_with_its_label_before_and_after",
    "api-event-feedback": "test_feedback_on_an_event_is_recorded_with_its_label_before_and_after",
    "attendance-shift-create": "test_attendance_shifts_holidays_and_corrections_changed_in_the_console",
    "attendance-shift-edit": "test_edits_of_groups_shifts_photos_and_others_tokens_in_the_console",
    "attendance-shift-delete": "test_attendance_shifts_holidays_and_corrections_changed_in_the_console",
    "attendance-holidays": "test_attendance_shifts_holidays_and_corrections_changed_in_the_console",
    "attendance-holiday-delete": "test_attendance_shifts_holidays_and_corrections_changed_in_the_console",
    "attendance-corrections": "test_attendance_shifts_holidays_and_corrections_changed_in_the_console",
    "attendance-correction-delete": "test_attendance_shifts_holidays_and_corrections_changed_in_the_console",
    "face-strangers-merge": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "face-stranger-enrol": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "face-stranger-split": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "face-stranger-dismiss": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "api-stranger-merge": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "api-stranger-enrol": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "api-stranger-split": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "api-stranger-dismiss": "test_strangers_enrolled_split_merged_and_dismissed_are_recorded",
    "api-box-list": "test_create_update_delete_through_the_api_are_recorded",
    "api-box-detail": "test_create_update_delete_through_the_api_are_recorded",
    "api-box-disable": "test_box_credentials_and_binding_actions_are_recorded_without_secrets",
    "api-box-enable": "test_box_credentials_and_binding_actions_are_recorded_without_secrets",
    "api-box-release-binding": "test_box_credentials_and_binding_actions_are_recorded_without_secrets",
    "api-box-rotate-credentials": "test_box_credentials_and_binding_actions_are_recorded_without_secrets",
    "api-area-list": "test_create_update_delete_through_the_api_are_recorded",
    "api-area-detail": "test_create_update_delete_through_the_api_are_recorded",
    "api-person-list": "test_create_update_delete_through_the_api_are_recorded",
    "api-person-detail": "test_create_update_delete_through_the_api_are_recorded",
    "api-person-photos": "test_a_person_s_photos_added_made_primary_and_removed_are_recorded",
    "api-person-photo-primary": "test_a_person_s_photos_added_made_primary_and_removed_are_recorded",
    "api-person-photo-detail": "test_a_person_s_photos_added_made_primary_and_removed_are_recorded",
    "api-group-list": "test_create_update_delete_through_the_api_are_recorded",
    "api-group-detail": "test_create_update_delete_through_the_api_are_recorded",
    # accounts' own test walks the operators API and checks its entries.
    "api-operator-list": OPERATORS_API, "api-operator-detail": OPERATORS_API, "api-operator-disable": OPERATORS_API,
    "api-operator-enable": OPERATORS_API, "api-operator-reset": OPERATORS_API,
}
# Routes that take a write method but change nothing an operator owns.
NOT_A_CHANGE = {
    "console-home": "a redirect",
    "login": "a log-in (django-axes keeps the attempts)",
    "logout": "a log-out",
    "set_language": "the language cookie",
    "api-docs": "the API's documentation page",
    "face-search": "a search by photo (reads through POST)",
    "api-search-face": "a search by photo (reads through POST)",
    "api-person-photo-assess": "judges a photo without keeping it",
}


def writing_routes() -> set[str]:
    found = set()
    for text, pattern in _walk(get_resolver().url_patterns):
        if text.startswith(("admin/", "box/")):
            continue  # Django's admin is audited by the models; boxes are no operators
        view = pattern.callback
        actions = getattr(view, "actions", None)
        view_class = getattr(view, "view_class", None)
        if actions is not None:
            writes = any(method in actions for method in WRITING_METHODS)
        else:
            writes = view_class is None or any(hasattr(view_class, method) for method in WRITING_METHODS)
        if writes:
            found.add(pattern.name)
    return found


def test_every_writing_route_is_audited_or_changes_nothing():
    assert writing_routes() == set(AUDITED) | set(NOT_A_CHANGE), "name the route's audit test or why it writes nothing"
    local = {name for name in AUDITED.values() if "::" not in name}
    known = {name for module in (test_audit, test_audit_console) for name in dir(module) if name.startswith("test_")}
    assert local <= known, local - known
