"""Numbers as PeerPlan shows them."""


def percent(part, whole):
    """`part` of `whole` in whole percent, the one rounding every page, email, export, report and API
    figure uses: to the nearest whole number, a half rounded up (11 of 12 is 92 %, 1 of 8 is 13 %), except
    that only all of it is 100 % and only none of it is 0 % (1 of 1,000 is 1 %, 999 of 1,000 is 99 %), so
    a figure never claims everything or nothing when that is not so. 0 when `whole` is 0 (nothing to count).
    Integer arithmetic: a float's 12.5 may be 12.4999… and round down."""
    if not whole or not part:
        return 0
    if part >= whole:
        return 100
    return min(max((200 * part + whole) // (2 * whole), 1), 99)
