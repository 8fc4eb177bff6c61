"""The keys that tell one person's contact details apart from another's, whatever the spelling.

Used to link a returning prospect's leads (duplicates), to count acknowledgements per address,
and to match the conflict register's email addresses.
"""

from __future__ import annotations

import phonenumbers

E164_MAX_LENGTH = 16


def email_key(address: str) -> str:
    """Case-folded, without a `+tag` in the local part: `Jane+Work@Example.com` → `jane@example.com`."""
    local, at, domain = address.strip().casefold().rpartition("@")
    if not at:
        return address.strip().casefold()
    local = local.split("+", 1)[0] or local
    return f"{local}@{domain}"


def phone_key(raw: str | None, region: str) -> str | None:
    """E.164 (`+15550100199`), numbers without a country code read in `region`; None when the
    text is not a possible phone number (it is kept as given, but never matched)."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    formatted = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return formatted if len(formatted) <= E164_MAX_LENGTH else None


def check_phone_region(region: str) -> str:
    """PHONE_REGION as phonenumbers knows it (`us` → `US`); a ValueError naming the setting."""
    if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"PHONE_REGION: {region!r} is not a region code such as US or GB")
    return region.upper()
