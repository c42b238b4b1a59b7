import string
from datetime import UTC, datetime

from devices import services
from devices.codes import DEV_SNO_PATTERN, generate_dev_sno, is_well_formed, normalise_mac


def test_dev_sno_has_the_upstream_shape_and_timestamp():
    moment = datetime(2019, 7, 26, 10, 34, 55, tzinfo=UTC)
    code = generate_dev_sno(moment)
    assert DEV_SNO_PATTERN.match(code)
    assert len(code) == 24
    assert code.endswith("20190726103455")  # settings.TIME_ZONE is UTC in tests


def test_dev_sno_codes_issued_in_the_same_second_are_drawn_from_the_whole_alphabet():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    codes = [generate_dev_sno(moment) for _ in range(2000)]
    assert len(set(codes)) == 2000
    # Every random position takes every symbol of its alphabet (a missed one in 2000 draws: p < 1e-30),
    # so a guess at a box's code is as hard as the module promises.
    for position in range(6):
        assert {code[position] for code in codes} == set(string.ascii_uppercase), position
    for position in range(6, 10):
        assert {code[position] for code in codes} == set(string.digits), position


def test_a_new_box_never_gets_a_code_already_issued(db, make_box, monkeypatch):
    taken = make_box("first").dev_sno
    fresh = "ABCDEF000120260101000000"
    drawn = iter([taken, taken, fresh])
    monkeypatch.setattr(services, "generate_dev_sno", lambda: next(drawn))
    assert make_box("second").dev_sno == fresh


def test_upstream_example_is_well_formed_and_junk_is_not():
    assert is_well_formed("TJGSDX000120190726103455")
    assert not is_well_formed("tjgsdx000120190726103455")
    assert not is_well_formed("TJGSDX0001201907261034")


def test_mac_forms_normalise_to_upstream_hex():
    assert normalise_mac("0xE0A50900062B") == "0xe0a50900062b"
    assert normalise_mac("e0:a5:09:00:06:2b") == "0xe0a50900062b"
    assert normalise_mac("E0-A5-09-00-06-2B") == "0xe0a50900062b"
    assert normalise_mac("0xe0a5") is None
    assert normalise_mac("0xzza50900062b") is None
