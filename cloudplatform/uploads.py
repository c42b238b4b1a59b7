"""Uploads refused while they stream in, not after they were read whole.

Django spools an upload to a temporary file and hands it over complete; a 50 MB "photo"
was then read into memory before the 10 MB check. BoundedUploadHandler counts each file's
bytes as they arrive and, past the limit for its form field, stops keeping them: the form
receives an empty OversizedUpload carrying the size seen, and says why it was refused.
"""
from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def upload_limit(field_name: str) -> int:
    """Largest file accepted in this form field: imports name theirs, everything else is a photo."""
    return settings.UPLOAD_LIMITS.get(field_name, settings.PHOTO_MAX_BYTES)


class OversizedUpload(UploadedFile):
    """Stands for a file refused for its size; holds nothing."""

    oversized = True

    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(file=None, name=name, size=size)
        self.limit = limit


class BoundedUploadHandler(TemporaryFileUploadHandler):
    def new_file(self, field_name, *args, **kwargs) -> None:
        super().new_file(field_name, *args, **kwargs)
        self.limit = upload_limit(field_name)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int):
        self.received += len(raw_data)
        if self.received > self.limit:
            if not self.file.closed:
                self.file.close()  # a temporary file: closing removes it
            return None  # read on, keep nothing
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int):
        if self.received > self.limit:
            return OversizedUpload(self.file_name, self.received, self.limit)
        return super().file_complete(file_size)


class RefusesOversizedUploads(forms.BaseForm):
    """Form mixin: a file refused while uploading is this field's only error, in words."""

    def full_clean(self) -> None:
        oversized = {name: upload for name, upload in self.files.items() if getattr(upload, "oversized", False)}
        if oversized:
            self.files = self.files.copy()
            for name in oversized:
                del self.files[name]
        super().full_clean()
        for name, upload in oversized.items():
            message = _("%(name)s is %(size)s; at most %(limit)s is accepted.") % {
                "name": upload.name, "size": filesizeformat(upload.size), "limit": filesizeformat(upload.limit)}
            self._errors[name] = self.error_class([message])
            self.cleaned_data.pop(name, None)
