"""How the estimate shows numbers: compact money for ranges, quantities, unit prices, ratios."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tools.contract import money

CENT = Decimal("0.01")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_short(value: Decimal | None) -> str:
    """Compact money for a range: $44K, $4.2K, $1.25M, $512.40."""
    if value is None:
        return "unknown"
    v = Decimal(value)
    if abs(v) >= 1_000_000:
        return f"${(v / 1_000_000).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}M"
    if abs(v) >= 10_000:
        return f"${(v / 1000).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}K"
    if abs(v) >= 1000:
        return f"${(v / 1000).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}K"
    return money(v)


def num(value: Decimal | int) -> str:
    d = Decimal(value)
    if d == d.to_integral_value():
        return f"{int(d):,}"
    return f"{d.normalize():,f}" if abs(d) < 1000 else f"{d:,.2f}"


def unit_price(price: Decimal | None) -> str:
    if price is None:
        return "unknown"
    for places in (2, 4):
        if price == price.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
            return money(price, places)
    return money(price, 6)


def ratio(r: Decimal) -> str:
    return f"{r.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}x"


def signed_pct(part: Decimal, whole: Decimal) -> str:
    """'−12%' / '+3%' / '±0%': part / whole as a whole percent with a sign (U+2212 for minus)."""
    if not whole:
        return "n/a"
    p = (part / whole * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    if p == 0:
        return "\u00b10%"
    return f"+{p}%" if p > 0 else f"\u2212{abs(p)}%"


def signed_money(value: Decimal) -> str:
    if value == 0:
        return "$0.00"
    return ("+" if value > 0 else "\u2212") + money(abs(value))
