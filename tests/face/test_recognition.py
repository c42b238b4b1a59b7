"""Recognition on the shared photos, at the engine's default threshold."""
import pytest

from tests.paths import IDENTITIES


def names(results):
    return [match.person.identity_id if match else None for _, match in results]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_probe_is_identified(engine, enrolled, faces_dir, identity):
    probes = sorted((faces_dir / "probe" / identity).iterdir())
    assert probes
    for probe in probes:
        assert names(engine.identify(probe.read_bytes(), enrolled)) == [identity], probe.name


def test_the_stranger_is_rejected(engine, enrolled, faces_dir):
    results = engine.identify((faces_dir / "probe/stranger/1.png").read_bytes(), enrolled)
    assert names(results) == [None]


@pytest.mark.parametrize(
    ("scene", "expected"),
    [
        ("two_people.jpg", ["biden", "obama"]),
        ("kit_with_rose.jpg", ["kit_harington", "rose_leslie"]),
        ("obama_and_biden.jpg", ["biden", "obama", None]),
    ],
)
def test_every_face_in_a_scene_is_found_and_named(engine, enrolled, faces_dir, scene, expected):
    found = names(engine.identify((faces_dir / "scenes" / scene).read_bytes(), enrolled))
    assert sorted(found, key=str) == sorted(expected, key=str)


@pytest.mark.parametrize("photo", ["rgba_32bit.png", "low_res_240p.jpg", "high_res_1080p.jpg"])
def test_hard_inputs_are_still_recognised(engine, enrolled, faces_dir, photo):
    assert names(engine.identify((faces_dir / "quality" / photo).read_bytes(), enrolled)) == ["obama"]


def test_group_filter_limits_the_search(engine, enrolled, faces_dir):
    probe = (faces_dir / "probe/obama/1.jpg").read_bytes()
    assert names(engine.identify(probe, enrolled, groups=["staff"])) == ["obama"]
    assert names(engine.identify(probe, enrolled, groups=["visitors"])) == [None]


def test_enrolment_picks_the_main_face(engine, faces_dir):
    face = engine.enrol((faces_dir / "scenes/two_people.jpg").read_bytes(), level="low")
    others = engine.analyse((faces_dir / "scenes/two_people.jpg").read_bytes()).faces
    largest = max(others, key=lambda f: f.detection.width * f.detection.height)
    assert face.box == largest.box
