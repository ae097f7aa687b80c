from datetime import date

from chalicelib.domain import relatives

CHILD = "2015061200178"
ADULT = "1985030400267"
TURNS_18_ON_24_NOV_2026 = "2008112400640"
TODAY = date(2026, 11, 23)


def test_a_minor_child_is_active_at_once() -> None:
    assert relatives.initial_status("child", CHILD, TODAY) == "active"


def test_an_adult_or_another_relationship_waits_for_acceptance() -> None:
    assert relatives.initial_status("child", ADULT, TODAY) == "pending"
    assert relatives.initial_status("other", CHILD, TODAY) == "pending"
    assert relatives.initial_status("spouse", ADULT, TODAY) == "pending"


def test_a_link_made_for_a_minor_lapses_at_18_unless_accepted() -> None:
    child = TURNS_18_ON_24_NOV_2026
    assert relatives.may_act("active", False, child, TODAY)
    assert not relatives.may_act("active", False, child, date(2026, 11, 24))
    assert relatives.may_act("active", True, child, date(2026, 11, 24))


def test_a_pending_link_never_works() -> None:
    assert not relatives.may_act("pending", False, ADULT, TODAY)
