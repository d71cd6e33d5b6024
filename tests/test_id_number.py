"""Residents' ID numbers (GB 11643): what a secretary typing them in would run into."""

import datetime as dt

import pytest

from backend.ledgers.id_number import (
    InvalidIdNumber,
    check_character,
    make_id_number,
    parse_id_number,
)


def gb11643_check(first17: str) -> str:
    """The standard's check character (ISO 7064 MOD 11-2), written out here rather than taken
    from the code under test: digit i weighs 2^(17-i) mod 11."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    return "10X98765432"[total % 11]


def test_a_valid_number_gives_birth_date_and_sex():
    info = parse_id_number("11010519491231002X")  # the standard's own example
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.sex == "female"
    assert info.region_code == "110105"


def test_lowercase_x_is_accepted_and_normalised():
    assert parse_id_number("11010519491231002x").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", "校验码"),  # last character should be X
        ("110105194902300028", "出生日期"),  # 30 February
        ("11010519491231002", "18位"),  # too short
        ("1101051949123100ZX", "18位"),  # letter inside
        ("110105299912310026", "合理范围"),  # born in the future
    ],
)
def test_invalid_numbers_say_why(number, reason):
    with pytest.raises(InvalidIdNumber, match=reason):
        parse_id_number(number)


def test_generated_numbers_are_valid_and_encode_sex():
    for seq in range(50):
        for sex in ("male", "female"):
            number = make_id_number("410602", dt.date(1990, 1, 2), seq, sex)
            info = parse_id_number(number)
            assert info.sex == sex and info.birth_date == dt.date(1990, 1, 2)
            assert number[17] == gb11643_check(number[:17])


def test_the_check_character_is_the_standards():
    assert gb11643_check("11010519491231002") == "X"  # the standard's own example
    for first17 in ("11010519491231002", "41060219800517001", "41060220000229123"):
        assert check_character(first17) == gb11643_check(first17)
