from datetime import UTC, date, datetime

import pytest

from chalicelib.domain import relatives
from chalicelib.domain.relatives import RelativeLink

PARENT = "1893120105732"
CHILD = "2015061200178"
ADULT = "1985030400267"
TURNS_18_ON_24_NOV_2026 = "2008112400640"
NOT_BORN_YET = "2030010101237"
TODAY = date(2026, 11, 23)
AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def link(relative: str, accepted: bool = False) -> RelativeLink:
    return RelativeLink("lnk_x", PARENT, relative, "child", AT, AT if accepted else None)


def test_only_a_guardian_links_a_minor() -> None:
    assert relatives.may_link(PARENT, CHILD, (PARENT,), TODAY)
    assert not relatives.may_link(PARENT, CHILD, (ADULT,), TODAY)
    assert not relatives.may_link(PARENT, CHILD, (), TODAY)
    # Not in the registry: the same answer as a minor with other guardians.
    assert not relatives.may_link(PARENT, CHILD, None, TODAY)


@pytest.mark.parametrize("guardians", [None, (), (PARENT,)])
def test_anyone_may_ask_an_adult(guardians: tuple[str, ...] | None) -> None:
    assert relatives.may_link(PARENT, ADULT, guardians, TODAY)
    assert relatives.status(link(ADULT), guardians, TODAY) == "pending"


def test_a_guardians_link_is_active_while_the_registry_says_so() -> None:
    assert relatives.status(link(CHILD), (PARENT,), TODAY) == "active"
    assert relatives.status(link(CHILD), (ADULT,), TODAY) == "pending"
    assert relatives.status(link(CHILD), None, TODAY) == "pending"


def test_a_guardians_link_lapses_on_the_18th_birthday_unless_accepted() -> None:
    child = TURNS_18_ON_24_NOV_2026
    birthday = date(2026, 11, 24)
    assert relatives.status(link(child), (PARENT,), TODAY) == "active"
    assert relatives.status(link(child), (PARENT,), birthday) == "pending"
    assert relatives.status(link(child, accepted=True), (PARENT,), birthday) == "active"


def test_an_accepted_link_holds_whatever_the_registry() -> None:
    assert relatives.status(link(ADULT, accepted=True), None, TODAY) == "active"


def test_nobody_holds_authority_over_someone_not_born_yet() -> None:
    assert not relatives.is_minor(NOT_BORN_YET, TODAY)
    assert relatives.status(link(NOT_BORN_YET), (PARENT,), TODAY) == "pending"


@pytest.mark.parametrize(
    ("relative", "guardians", "today", "holds"),
    [
        (CHILD, (PARENT,), TODAY, True),
        (CHILD, (ADULT, PARENT), TODAY, True),
        # Another guardian's child, or a minor not in the registry.
        (CHILD, (ADULT,), TODAY, False),
        (CHILD, (), TODAY, False),
        (CHILD, None, TODAY, False),
        # Until the day before the 18th birthday, Europe/Luxembourg.
        (TURNS_18_ON_24_NOV_2026, (PARENT,), TODAY, True),
        (TURNS_18_ON_24_NOV_2026, (PARENT,), date(2026, 11, 24), False),
        (ADULT, (PARENT,), TODAY, False),
        (NOT_BORN_YET, (PARENT,), TODAY, False),
    ],
)
def test_parental_authority_is_a_guardians_over_a_minor(
    relative: str, guardians: tuple[str, ...] | None, today: date, holds: bool
) -> None:
    assert relatives.holds_parental_authority(PARENT, relative, guardians, today) is holds
