"""What every console page shares."""
from django.contrib.auth.mixins import LoginRequiredMixin, UserPassesTestMixin


class AdminRequiredMixin(LoginRequiredMixin, UserPassesTestMixin):
    """Console pages are for administrators (staff); others go to the login page."""

    def test_func(self) -> bool:
        return self.request.user.is_staff
