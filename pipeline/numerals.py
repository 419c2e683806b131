"""Chinese numerals, shared by the provision labels and the deadline rules."""
from __future__ import annotations

import unicodedata

CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
            "六": 6, "七": 7, "八": 8, "九": 9}


def cn_int(s: str) -> int | None:
    """An integer from ASCII/full-width digits or Chinese numerals up to 999; None if not a number."""
    s = unicodedata.normalize("NFKC", s).strip()
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if s == "半":
        return None
    total, current = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current
