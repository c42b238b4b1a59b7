""""Wrong match" feedback in the console: the event page's "Right person" / "Not this person" /
"This is …" (with the face added to the right person's photos), the label history, and the match
scores pages of a box and a person (chart data, current and suggested thresholds), in both languages."""
import json
import re

import pytest

from events.models import Event
from faces.models import MatchVerdict

pytestmark = pytest.mark.django_db
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


def said(response) -> list[str]:
    """The messages shown on the page a feedback form leads back to."""
    page = response.content.decode()
    return [re.sub(r"\s+", " ", text).strip() for text in re.findall(r'role="alert">(.*?)<button', page, re.S)]


def test_not_this_person_from_the_event_page(client, admin_user, people, report_match):
    wrong = report_match("gate", "obama", 0.46, "probe/biden/1.jpg")
    client.force_login(admin_user)
    page = client.get(f"/events/{wrong.pk}/").content.decode()
    for part in ('id="match-feedback"', 'id="feedback-confirm"', 'id="feedback-reject"', 'id="feedback-correct"',
                 'data-search-url="/api/persons/"', 'id="correct-add-photo"', "js/feedback."):
        assert part in page, part
    answer = client.post(f"/faces/events/{wrong.pk}/feedback/", {"verdict": "reject"}, follow=True)
    assert answer.redirect_chain[-1][0] == f"/events/{wrong.pk}/#match-feedback"
    assert said(answer) == ["Not obama: the event now shows a stranger."]
    page = answer.content.decode()
    assert 'id="label-history"' in page and "as the box said" in page and "Not this person" in page
    assert 'id="feedback-reject"' not in page  # it names no one now: only "This is …" is left
    assert Event.objects.get(pk=wrong.pk).identity_id == ""


def test_this_is_from_the_event_page_adds_the_face(client, admin_user, people, report_match):
    wrong = report_match("gate", "obama", 0.47, "probe/biden/1.jpg")
    client.force_login(admin_user)
    answer = client.post(f"/faces/events/{wrong.pk}/feedback/",
                         {"verdict": "correct", "person": "biden", "add_photo": "on"}, follow=True)
    assert said(answer) == [
        "The event is Joe Biden now.",
        "The face was added to the photos of Joe Biden; the boxes that hold them are being updated."]
    assert people["biden"].photos.count() == 2
    page = answer.content.decode()
    assert f'href="/people/{people["biden"].pk}/"' in page  # the event's person is biden now
    assert "person-scores-link" in page

    refused = client.post(f"/faces/events/{wrong.pk}/feedback/", {"verdict": "correct", "person": "nobody"},
                          follow=True)
    assert said(refused) == ["No person has identity_id nobody."]
    chinese = client.post(f"/faces/events/{wrong.pk}/feedback/", {"verdict": "correct", "person": "biden"},
                          follow=True, **CHINESE)
    assert said(chinese) == ["此事件已指向 Joe Biden。"]


def test_the_match_scores_pages_show_the_thresholds(client, admin_user, people, report_match):
    client.force_login(admin_user)
    for score, verdict in ((0.45, "confirm"), (0.62, "confirm"), (0.8, "confirm"), (0.55, "reject")):
        shown = report_match("gate", "obama", score)
        client.post(f"/faces/events/{shown.pk}/feedback/", {"verdict": verdict})
    assert MatchVerdict.objects.count() == 4
    box = report_match.boxes["gate"]
    assert 'id="match-scores-link"' in client.get(f"/boxes/{box.pk}/").content.decode()
    assert f'href="/faces/scores/people/{people["obama"].pk}/"' in \
        client.get(f"/people/{people['obama'].pk}/").content.decode()

    for url in (f"/faces/scores/boxes/{box.pk}/", f"/faces/scores/people/{people['obama'].pk}/"):
        page = client.get(url).content.decode()
        chart = json.loads(re.search(r'id="scores-data" type="application/json">(.*?)</script>', page).group(1))
        assert (chart["threshold"], chart["suggested"]) == (0.4, 0.55)
        assert sum(chart["histogram"]["confirmed"]) == 3 and chart["histogram"]["rejected"][11] == 1
        summary = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.split('id="suggestion">')[1].split("</p>")[0]))
        assert summary == ("At a threshold of 0.55 the rejected match would not have happened. 1 of the 3 "
                           "confirmed matches would have been missed.")
        assert "chart.umd.min." in page and "js/match_scores." in page
        chinese = client.get(url, **CHINESE).content.decode()
        assert "当前阈值" in chinese and "0.55" in chinese

    empty = client.get(f"/faces/scores/people/{people['biden'].pk}/").content.decode()
    assert 'id="no-scores"' in empty and "scores-chart" not in empty
