"""What a party's report may show: its own rows, NIKs masked on request, no other party named."""

from __future__ import annotations

CROSS_PARTY = "NIK_DUPLICATE_ACROSS_PARTIES"


def mask_nik(nik: str | None) -> str:
    """320101******0001: the first 6 and last 4 characters kept, the rest starred.

    A value too short to keep 10 characters and still hide something is starred whole.
    """
    if not nik:
        return ""
    if len(nik) <= 10:
        return "*" * len(nik)
    return nik[:6] + "*" * (len(nik) - 10) + nik[-4:]


def show_nik(nik: str | None, masked: bool) -> str:
    return mask_nik(nik) if masked else (nik or "")


def party_detail(code: str, detail: str | None) -> str:
    """The detail a party may see: the cross-party finding never names the other party."""
    if code == CROSS_PARTY or not detail:
        return ""
    return detail
