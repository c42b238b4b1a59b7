"""The gallery: persistence, replace, delete, groups and search against brute force."""
import numpy as np
import pytest

from edge_agent.face.gallery import Gallery, Person


def vector(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=128).astype(np.float32) * 0.1


def test_add_replace_delete_and_reload(tmp_path):
    path = tmp_path / "g.sqlite3"
    gallery = Gallery(path)
    gallery.upsert(Person("a", "Ann", 1, ("staff",)), vector(1))
    gallery.upsert(Person("b", "Bob", 5, ("vip",)), vector(2))
    gallery.upsert(Person("a", "Ann B.", 2, ("visitors",)), vector(3))  # replace
    assert len(gallery) == 2 and gallery.get("a").name == "Ann B."
    assert gallery.groups() == ["vip", "visitors"]
    assert gallery.delete("b") and not gallery.delete("b")
    gallery.close()

    reopened = Gallery(path)
    assert len(reopened) == 1 and "a" in reopened and "b" not in reopened
    assert reopened.get("a") == Person("a", "Ann B.", 2, ("visitors",))
    assert np.allclose(reopened.embedding("a"), vector(3))
    reopened.clear()
    assert len(Gallery(path)) == 0


def test_search_is_nearest_first_and_filters_groups(tmp_path):
    gallery = Gallery(":memory:")
    gallery.upsert_many([(Person(f"p{i}", groups=("even" if i % 2 == 0 else "odd",)), vector(i)) for i in range(50)])
    query = vector(7) + 0.001
    best = gallery.search(query, k=3)
    assert best[0].person.identity_id == "p7" and best[0].distance < 0.02
    assert best[0].distance <= best[1].distance <= best[2].distance
    only_even = gallery.search(query, k=3, groups=["even"])
    nearest_even = sorted(range(0, 50, 2), key=lambda i: float(np.linalg.norm(vector(i) - query)))[:3]
    assert [m.person.identity_id for m in only_even] == [f"p{i}" for i in nearest_even]
    assert gallery.search(query, groups=["nobody"]) == []


def test_deleting_keeps_the_matrix_consistent_with_brute_force():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(3000, 128)).astype(np.float32)
    gallery = Gallery(":memory:")
    gallery.upsert_many((Person(str(i), groups=(f"g{i % 3}",)), vectors[i]) for i in range(3000))
    removed = set(rng.choice(3000, size=1000, replace=False).tolist())
    for i in removed:
        gallery.delete(str(i))
    alive = np.array(sorted(set(range(3000)) - removed))
    for q in rng.normal(size=(20, 128)).astype(np.float32):
        brute = np.linalg.norm(vectors[alive] - q, axis=1)
        expected = [str(i) for i in alive[np.argsort(brute)[:5]]]
        assert [m.person.identity_id for m in gallery.search(q, k=5)] == expected
        in_g1 = alive[alive % 3 == 1]
        brute_g1 = np.linalg.norm(vectors[in_g1] - q, axis=1)
        assert gallery.search(q, k=1, groups=["g1"])[0].person.identity_id == str(in_g1[np.argmin(brute_g1)])


def test_bad_embeddings_are_refused():
    gallery = Gallery(":memory:")
    with pytest.raises(ValueError):
        gallery.upsert(Person("x"), np.zeros(12))
    with pytest.raises(ValueError):
        gallery.upsert(Person("x"), np.full(128, np.nan))
    assert len(gallery) == 0


def test_a_person_with_several_faces_matches_by_the_best_one_and_reloads_with_all(tmp_path):
    path = tmp_path / "g.sqlite3"
    gallery = Gallery(path)
    gallery.upsert(Person("a", groups=("staff",)), np.stack([vector(1), vector(2), vector(3)]))
    gallery.upsert(Person("b", groups=("staff",)), vector(4))
    assert len(gallery) == 2 and gallery.face_count == 4
    for seed in (1, 2, 3):  # whichever of a's faces the probe is near, it is a, once
        matches = gallery.search(vector(seed) + 0.001, k=5)
        assert [m.person.identity_id for m in matches] == ["a", "b"] and matches[0].distance < 0.02
    assert np.allclose(gallery.embedding("a"), vector(1)) and gallery.embeddings("a").shape == (3, 128)
    gallery.set_groups("a", ("visitors",))
    assert gallery.members("visitors") == ["a"] and gallery.members("staff") == ["b"]
    assert gallery.search(vector(3), groups=["visitors"])[0].person.identity_id == "a"
    gallery.upsert(Person("a", groups=("visitors",)), vector(5))  # replaced by one face: the others go
    assert gallery.face_count == 2 and gallery.search(vector(2), k=1)[0].distance > 0.5
    gallery.upsert(Person("a", groups=("visitors",)), np.stack([vector(5), vector(6)]))
    gallery.close()
    reopened = Gallery(path)
    assert reopened.face_count == 3 and np.allclose(reopened.embeddings("a"), np.stack([vector(5), vector(6)]))
    assert reopened.search(vector(6), k=1)[0].person.identity_id == "a"


def test_several_faces_each_deleted_and_searched_as_brute_force_does():
    rng = np.random.default_rng(1)
    faces = {str(i): rng.normal(size=(1 + i % 5, 128)).astype(np.float32) for i in range(600)}
    gallery = Gallery(":memory:")
    gallery.upsert_many((Person(i, groups=(f"g{int(i) % 3}",)), v) for i, v in faces.items())
    for i in rng.choice(600, size=200, replace=False).tolist():
        gallery.delete(str(i))
        del faces[str(i)]
    assert gallery.face_count == sum(len(v) for v in faces.values())
    for q in rng.normal(size=(20, 128)).astype(np.float32):
        best = {i: float(np.linalg.norm(v - q, axis=1).min()) for i, v in faces.items()}
        expected = sorted(best, key=best.get)[:5]
        found = gallery.search(q, k=5)
        assert [m.person.identity_id for m in found] == expected
        assert np.allclose([m.distance for m in found], [best[i] for i in expected], atol=1e-3)
        in_g2 = {i: d for i, d in best.items() if int(i) % 3 == 2}
        assert gallery.search(q, k=1, groups=["g2"])[0].person.identity_id == min(in_g2, key=in_g2.get)
