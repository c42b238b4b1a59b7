"""Operator roles (issue 16 item 3): who each account is to the console, and the rules of
giving a role."""
import pytest
from django.core.exceptions import ValidationError

from accounts.models import Role
from accounts.selectors import fresh_scope, scope_for
from accounts.services import set_role


@pytest.fixture
def account(django_user_model):
    def make(name: str, **flags):
        return django_user_model.objects.create_user(name, password="x", **flags)
    return make


def test_accounts_without_a_profile_keep_what_they_had(account, admin_user):
    """Before roles: staff (and superusers) were the console's administrators; others had none."""
    assert scope_for(admin_user).is_administrator and scope_for(admin_user).everything
    assert scope_for(account("staff", is_staff=True)).is_administrator
    assert scope_for(account("plain")) is None


def test_a_site_manager_sees_their_sites_only(account, site_areas):
    campus, building, _floor, harbour = site_areas
    user = account("manager")
    set_role(user, Role.SITE_MANAGER, [campus])
    scope = fresh_scope(user.pk)
    assert scope.site_ids == {campus.pk} and not scope.everything and scope.can_write
    assert scope.sees_site(campus.pk) and not scope.sees_site(harbour.pk) and not scope.sees_site(None)


def test_a_profile_decides_over_staff_status_but_not_over_a_superuser(account, admin_user):
    staff = account("staff", is_staff=True)
    set_role(staff, Role.VIEWER)
    assert not fresh_scope(staff.pk).can_write and fresh_scope(staff.pk).everything
    set_role(admin_user, Role.VIEWER)
    assert fresh_scope(admin_user.pk).is_administrator


def test_a_disabled_account_has_no_console(account):
    user = account("gone")
    set_role(user, Role.ADMINISTRATOR)
    user.is_active = False
    user.save()
    assert fresh_scope(user.pk) is None


def test_a_site_manager_needs_sites_and_only_sites(account, site_areas):
    campus, building, _floor, _harbour = site_areas
    user = account("manager")
    with pytest.raises(ValidationError) as none_given:
        set_role(user, Role.SITE_MANAGER, [])
    assert "sites" in none_given.value.message_dict
    with pytest.raises(ValidationError) as not_a_site:
        set_role(user, Role.SITE_MANAGER, [building])
    assert "sites" in not_a_site.value.message_dict
    # Other roles keep no sites: their scope is everything.
    assert list(set_role(user, Role.VIEWER, [campus]).sites.all()) == []
