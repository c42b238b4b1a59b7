"""Several photos per person, each judged at upload by the boxes' own face engine (issue 15
item 1): verdicts on real photos, at most five, the best one primary, the gate flagged."""

import pytest
from PIL import Image

from aibox_contract.codes import FACE_TOO_SMALL, LOW_QUALITY, NO_FACE
from users import services
from users.models import Person, PersonPhoto
from users.quality import badge

from .helpers import blurred, jpeg
from .paths import FACES


def tiny_face(path: str) -> bytes:
    """The photo shrunk so its face is about 30 px, pasted on a large grey canvas."""
    image = Image.open(FACES / path).convert("RGB")
    small = image.resize((image.width // 8, image.height // 8))
    canvas = Image.new("RGB", (640, 480), (128, 128, 128))
    canvas.paste(small, (300, 200))
    return jpeg(canvas)


def no_face() -> bytes:
    """A real photo's background: the top-left corner of a scene, where nobody is."""
    image = Image.open(FACES / "enroll/obama/1.jpg").convert("RGB")
    return jpeg(image.crop((0, 0, 120, 120)).resize((320, 320)))


def read(path: str) -> bytes:
    return (FACES / path).read_bytes()


@pytest.fixture
def person(db):
    return services.create_person(name="Barack Obama", identity_id="obama", distribute=False)


def test_a_sharp_frontal_face_passes_every_level_with_its_measures(person):
    photo = services.add_person_photo(person, read("enroll/obama/1.jpg"), distribute=False)
    assert photo.assessed and photo.face_found and photo.face_count == 1
    assert photo.face_size > 200 and photo.sharpness > 1.0 and abs(photo.yaw) < 20
    assert all(photo.passes(level) for level in ("high", "middle", "custom", "low", "no"))
    assert badge(photo, "high").kind == "pass"


def test_no_face_tiny_face_and_blur_get_the_boxes_codes_and_a_reason(person):
    empty = services.add_person_photo(person, no_face(), distribute=False)
    assert not empty.face_found and empty.code_at("high") == NO_FACE
    assert badge(empty, "high").kind == "fail" and "no face" in badge(empty, "high").reason

    small = services.add_person_photo(person, tiny_face("enroll/obama/1.jpg"), distribute=False)
    assert small.face_found and small.face_size < 60 and small.code_at("high") == FACE_TOO_SMALL
    assert "too small" in badge(small, "high").reason

    soft = services.add_person_photo(person, blurred("enroll/biden/1.jpg"), distribute=False)
    assert soft.face_found and soft.code_at("high") == LOW_QUALITY and "clarity" in soft.levels["high"]["fails"]
    assert "blurred" in badge(soft, "high").reason
    assert soft.passes("no")


def test_a_photo_the_box_refuses_is_flagged_kept_or_refused_on_request(person):
    flagged = services.add_person_photo(person, blurred("enroll/obama/1.jpg"), distribute=False)
    assert not flagged.passes_gate
    with pytest.raises(services.PhotoRejected) as refused:
        services.add_person_photo(person, blurred("enroll/obama/1.jpg", 8), require_gate=True, distribute=False)
    assert refused.value.code == LOW_QUALITY and "blurred" in refused.value.message
    assert person.photos.count() == 1


def test_at_most_five_photos_and_no_copy_twice(person):
    for path in ("enroll/obama/1.jpg", "probe/obama/1.jpg", "probe/obama/2.jpg", "probe/obama/3.jpg",
                 "probe/obama/4.jpg"):
        services.add_person_photo(person, read(path), distribute=False)
    with pytest.raises(services.PhotoRejected, match="already has this photo"):
        services.add_person_photo(person, read("probe/obama/1.jpg"), distribute=False)
    with pytest.raises(services.PhotoRejected, match="5 photos"):
        services.add_person_photo(person, read("probe/obama/5.jpg"), distribute=False)
    assert person.photos.count() == 5


def test_the_best_photo_is_primary_unless_one_is_pinned(person):
    soft = services.add_person_photo(person, blurred("enroll/obama/1.jpg"), distribute=False)
    person.refresh_from_db()
    assert person.photo_sha256 == soft.sha256  # the only one
    sharp = services.add_person_photo(person, read("enroll/obama/1.jpg"), distribute=False)
    person.refresh_from_db()
    assert person.photo_sha256 == sharp.sha256 and person.photo == sharp.path
    assert list(person.photos.filter(is_primary=True)) == [sharp]

    services.make_primary_photo(soft)
    person.refresh_from_db()
    assert person.photo_sha256 == soft.sha256
    services.remove_person_photo(PersonPhoto.objects.get(pk=soft.pk))
    person.refresh_from_db()
    assert person.photo_sha256 == sharp.sha256
    services.remove_person_photo(PersonPhoto.objects.get(pk=sharp.pk))
    person.refresh_from_db()
    assert person.photo == "" and person.photo_sha256 == ""


def test_a_stranger_is_gated_at_the_custom_level(db):
    small = Image.open(FACES / "quality/low_res_240p.jpg")
    stranger = services.create_person(name="Visitor", person_type=4, photo=jpeg(small), distribute=False)
    staff = services.create_person(name="Staff", person_type=1, photo=jpeg(small), distribute=False)
    assert stranger.photos.get().passes_gate and not staff.photos.get().passes_gate
    assert badge(staff.photos.get(), staff.gate_level).kind == "fail"


def test_create_and_update_keep_the_primary_photo_in_step(db):
    person = services.create_person(name="Biden", photo=read("enroll/biden/1.jpg"), distribute=False)
    first = person.photos.get()
    assert first.is_primary and person.photo_sha256 == first.sha256
    services.add_person_photo(person, read("probe/biden/1.jpg"), distribute=False)
    primary = person.photos.get(is_primary=True)
    services.update_person(person, photo=read("probe/obama/1.jpg"), distribute=False)
    person.refresh_from_db()
    # The new photo replaces the primary one and is pinned; the other stays.
    assert person.photos.count() == 2 and not person.photos.filter(sha256=primary.sha256).exists()
    assert person.photos.get(is_primary=True).sha256 == person.photo_sha256 == person.photos.get(pinned=True).sha256


def test_replace_photos_sets_exactly_those_the_best_primary(person):
    services.add_person_photo(person, read("probe/obama/5.jpg"), distribute=False)
    changed = services.replace_person_photos(person, [blurred("probe/obama/1.jpg"), read("enroll/obama/1.jpg")],
                                             distribute=False)
    person.refresh_from_db()
    assert changed and person.photos.count() == 2
    assert person.photos.get(is_primary=True).position == 1  # the sharp one, not the first listed
    assert not services.replace_person_photos(person, [blurred("probe/obama/1.jpg"), read("enroll/obama/1.jpg")],
                                              distribute=False)
    with pytest.raises(services.PhotoRejected):
        services.replace_person_photos(person, [read(f"probe/obama/{i}.jpg") for i in range(1, 6)]
                                       + [read("enroll/obama/1.jpg")], distribute=False)


def test_a_photo_set_directly_on_the_person_is_adopted_not_lost(db, photo):
    from users.photos import store_photo

    stored = store_photo(photo)
    person = Person.objects.create(identity_id="direct", name="Direct", photo=stored.path, photo_sha256=stored.sha256)
    services.add_person_photo(person, read("probe/obama/1.jpg"), distribute=False)
    assert set(person.photos.values_list("sha256", flat=True)) >= {stored.sha256}
    assert person.photos.count() == 2


def test_among_photos_passing_the_gate_a_frontal_one_is_preferred(person):
    turned = services.add_person_photo(person, read("probe/obama/2.jpg"), distribute=False)  # pitch ~21°, larger
    frontal = services.add_person_photo(person, read("enroll/obama/1.jpg"), distribute=False)  # yaw ~1°
    assert turned.passes_gate and frontal.passes_gate
    assert badge(turned, "high").kind == "warn" and badge(frontal, "high").kind == "pass"
    person.refresh_from_db()
    assert person.photo_sha256 == frontal.sha256


def test_a_photo_judged_once_is_not_judged_again_and_a_failed_judgement_is_retried(monkeypatch):
    from users import quality

    data = read("enroll/biden/1.jpg")
    monkeypatch.setattr(quality, "_verdicts", type(quality._verdicts)())
    judged = []
    judge = quality._judge
    monkeypatch.setattr(quality, "_judge", lambda photo: judged.append(photo) or judge(photo))
    first = quality.assess_photo(data)
    first.levels["high"]["code"] = 40006  # a caller changing its copy changes nobody else's
    second = quality.assess_photo(data)
    assert len(judged) == 1 and second.assessed and second.levels["high"]["code"] == 0
    second.levels["high"]["code"] = 40006  # nor one changing a remembered verdict's copy
    assert quality.assess_photo(data).levels["high"]["code"] == 0 and len(judged) == 1

    monkeypatch.setattr(quality, "_judge", lambda photo: judged.append(photo) or quality.PhotoQuality())
    other = read("probe/obama/1.jpg")
    assert not quality.assess_photo(other).assessed and not quality.assess_photo(other).assessed
    assert len(judged) == 3  # the engine was asked again: no engine is not remembered as a verdict
