"""Strangers grouped by face as their events arrive, merged, split, dismissed and enrolled
(issue 15 item 3): stock-box events through intake, embedded and clustered by the faces task
(run eagerly after intake's commit, as the suite runs tasks), real engine and shared photos."""
import pytest

from distribution.models import Command
from events.models import Relabel
from events.selectors import original_label
from faces import strangers
from faces.models import StrangerCluster, StrangerSighting
from users.models import PermissionGroup, Person

from .helpers import cluster_of

pytestmark = pytest.mark.django_db
State = StrangerCluster.State


def test_one_stranger_seen_three_times_at_two_boxes_is_one_cluster_another_is_another(report_stranger):
    seen = [report_stranger("north", "probe/obama/1.jpg", 0), report_stranger("south", "probe/obama/2.jpg", 5),
            report_stranger("south", "probe/obama/3.jpg", 9)]
    other = report_stranger("north", "probe/stranger/1.png", 7)
    [obama] = {cluster_of(e).pk for e in seen}
    cluster = StrangerCluster.objects.get(pk=obama)
    assert (cluster.sightings_count, cluster.box_count, cluster.state) == (3, 2, State.OPEN)
    assert cluster.first_seen == seen[0].occurred_at and cluster.last_seen == seen[2].occurred_at
    assert cluster.best_event_id in {e.pk for e in seen}
    assert cluster_of(other).pk != obama and cluster_of(other).sightings_count == 1
    assert StrangerCluster.objects.count() == 2


def test_known_people_are_not_clustered(report_stranger):
    report_stranger("north", "probe/biden/1.jpg", person_type=1)
    assert not StrangerSighting.objects.exists()


def test_split_then_merge_back_and_the_next_sighting_joins_the_merged_cluster(report_stranger):
    seen = [report_stranger("north", f"probe/obama/{n}.jpg", n) for n in (1, 2, 3)]
    cluster = cluster_of(seen[0])
    part = strangers.split(cluster, [seen[2].pk])
    assert cluster_of(seen[2]).pk == part.pk and part.sightings_count == 1 and part.state == State.OPEN
    cluster.refresh_from_db()
    assert cluster.sightings_count == 2
    merged = strangers.merge(cluster, [part])
    assert merged.sightings_count == 3 and {cluster_of(e).pk for e in seen} == {cluster.pk}
    part.refresh_from_db()
    assert part.state == State.MERGED and part.merged_into_id == cluster.pk and part.sightings_count == 0
    # The worker's centroids caught up: the merged-away cluster attracts nobody.
    assert cluster_of(report_stranger("south", "probe/obama/4.jpg", 10)).pk == cluster.pk


def test_split_and_merge_refuse_what_makes_no_sense(report_stranger):
    first, second = report_stranger("north", "probe/obama/1.jpg"), report_stranger("north", "probe/obama/2.jpg", 1)
    other = report_stranger("north", "probe/stranger/1.png", 2)
    cluster = cluster_of(first)
    with pytest.raises(strangers.StrangerActionRefused):
        strangers.split(cluster, [first.pk, second.pk])  # all of them
    with pytest.raises(strangers.StrangerActionRefused):
        strangers.split(cluster, [other.pk])  # not its own
    with pytest.raises(strangers.StrangerActionRefused):
        strangers.merge(cluster, [cluster])


def test_a_dismissed_stranger_stays_hidden_when_seen_again(report_stranger):
    cluster = cluster_of(report_stranger("north", "probe/obama/1.jpg"))
    assert strangers.dismiss(cluster).state == State.DISMISSED
    again = report_stranger("south", "probe/obama/2.jpg", 3)
    cluster.refresh_from_db()
    assert cluster_of(again).pk == cluster.pk and cluster.state == State.DISMISSED and cluster.sightings_count == 2
    with pytest.raises(strangers.StrangerActionRefused):
        strangers.dismiss(cluster)


def test_enrolling_makes_a_person_sent_to_the_groups_boxes_and_relabels_past_and_late_events(
        report_stranger, boxes, admin_user):
    seen = [report_stranger("north", "probe/obama/1.jpg", 0), report_stranger("south", "probe/obama/2.jpg", 5)]
    cluster = cluster_of(seen[0])
    group = PermissionGroup.objects.create(name="visitors")
    group.boxes.set(boxes.values())
    person = strangers.enrol(cluster, name="Mr Visitor", person_type=2, permission_groups=[group], by=admin_user)
    assert person.photo and Person.objects.get(pk=person.pk).permission_groups.get() == group
    # Both spot pictures pass the boxes' gate: the person gets both, the best one primary.
    assert person.photos.count() == 2 and person.photos.filter(is_primary=True).count() == 1
    # Distributed like anyone: an add_users_plus for each box of the group.
    assert set(Command.objects.filter(method="add_users_plus").values_list("box__name", flat=True)) == set(boxes)
    cluster.refresh_from_db()
    assert cluster.state == State.ENROLLED and cluster.person == person
    for past in seen:
        past.refresh_from_db()
        assert (past.identity_id, past.identity_name, past.person_type) == (person.identity_id, "Mr Visitor", 2)
        kept = original_label(past)
        assert kept.reason == Relabel.Reason.STRANGER_ENROLLED and kept.from_person_type == 4 and kept.by == admin_user
    # Seen again as a stranger before the boxes had the person: it joins and shows the person.
    late = report_stranger("south", "probe/obama/3.jpg", 9)
    late.refresh_from_db()
    assert cluster_of(late).pk == cluster.pk and late.identity_id == person.identity_id
    with pytest.raises(strangers.StrangerActionRefused):
        strangers.enrol(cluster, name="Twice", person_type=2)


def test_enrolling_takes_visitors_or_blacklisted_only(report_stranger):
    cluster = cluster_of(report_stranger("north", "probe/obama/1.jpg"))
    with pytest.raises(strangers.StrangerActionRefused):
        strangers.enrol(cluster, name="Staff?", person_type=1)
    assert not Person.objects.exists()


def test_a_stranger_whose_events_are_all_purged_leaves_the_lists(report_stranger):
    from events.tasks import purge_old_events
    from faces.stranger_selectors import stranger_clusters
    from faces.tasks import forget_purged_sightings

    cluster = cluster_of(report_stranger("north", "probe/obama/1.jpg"))  # in 2023: older than the retention
    report_stranger("south", "probe/obama/2.jpg", 3)
    assert purge_old_events()["events"] == 2
    assert forget_purged_sightings() == {"clusters": 1}
    cluster.refresh_from_db()
    assert (cluster.sightings_count, cluster.box_count, cluster.best_event_id) == (0, 0, None)
    assert not stranger_clusters().exists()
    # The face seen again starts afresh (a purged cluster attracts nobody).
    assert cluster_of(report_stranger("north", "probe/obama/3.jpg", 5)).pk != cluster.pk


def test_the_summary_folded_in_as_events_arrive_equals_the_one_recomputed(report_stranger):
    from faces.clustering import summarise

    seen = [report_stranger("north", "probe/obama/1.jpg", 0), report_stranger("south", "probe/obama/2.jpg", 5),
            report_stranger("north", "probe/obama/3.jpg", 9), report_stranger("south", "probe/obama/4.jpg", 2)]
    cluster = cluster_of(seen[0])
    fields = ("sightings_count", "box_count", "first_seen", "last_seen", "best_event_id")
    folded = StrangerCluster.objects.values(*fields).get(pk=cluster.pk)
    summarise([cluster.pk], revision=999)
    assert StrangerCluster.objects.values(*fields).get(pk=cluster.pk) == folded
    assert (folded["sightings_count"], folded["box_count"]) == (4, 2)
