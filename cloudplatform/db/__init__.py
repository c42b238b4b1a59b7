"""Database backends of our own (settings.DATABASES' ENGINE)."""
