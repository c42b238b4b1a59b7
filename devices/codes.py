"""dev_sno authorisation codes, in the upstream shape.

`TJGSDX000120190726103455`: six capital letters, four digits, and the 14-digit
issue timestamp. The 6 letters and 4 digits are drawn from `secrets`
(26**6 * 10**4 ≈ 3.1e12 codes per second of issue), so a guess is hopeless
and the login throttle caps how fast anyone can try.
"""
import re
import secrets
import string
from datetime import datetime

from django.utils import timezone

DEV_SNO_PATTERN = re.compile(r"^[A-Z]{6}\d{4}\d{14}$")


def generate_dev_sno(now: datetime | None = None) -> str:
    """A fresh random code stamped with `now` (local time, like upstream's examples)."""
    now = timezone.localtime(now or timezone.now())
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(6))
    digits = "".join(secrets.choice(string.digits) for _ in range(4))
    return f"{letters}{digits}{now:%Y%m%d%H%M%S}"


def is_well_formed(dev_sno: str) -> bool:
    return bool(DEV_SNO_PATTERN.match(dev_sno))


def normalise_mac(hex_mac: str) -> str | None:
    """`0xE0A50900062B`, `e0:a5:09:00:06:2b` → `0xe0a50900062b`; None when not a MAC."""
    raw = hex_mac.strip().lower()
    if raw.startswith("0x"):
        raw = raw[2:]
    raw = raw.replace(":", "").replace("-", "")
    if len(raw) != 12 or any(c not in string.hexdigits for c in raw):
        return None
    return "0x" + raw
