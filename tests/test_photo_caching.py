"""Photos served as immutable content-addressed files (issue 17 item 2): the URL names the
photo's SHA-256, the answer says immutable for a year with the hash as ETag and a
Last-Modified, a conditional request for a photo the box holds gets 304 without a body, box
authentication still applies; and the real agent does not download a photo it already holds."""
import hashlib
import time
from urllib.parse import urlsplit

import pytest
from django.utils.http import http_date

from distribution.models import Enrolment
from distribution.services import sync_people
from users import services
from users.models import PermissionGroup

from .helpers import configure, face_photo, wait_for


@pytest.fixture
def served(serve_obama, client):
    """A box serving Obama (one photo); the relative_pic_url its §6.1 reply gives."""
    _, fake, person = serve_obama(face_photo("enroll/obama/1.jpg"))
    response = client.post(fake.signed("/box/persons"), {"userid_list": ["obama"]}, content_type="application/json")
    [entry] = response.json()["data"]["user_list"]
    return fake, person, entry["relative_pic_url"]


def test_the_photo_url_names_its_content_and_the_answer_says_immutable(served):
    fake, person, relative = served
    assert urlsplit(relative).path.rsplit("/", 1)[-1].split(".")[0] == person.photo_sha256
    response = fake.photo(relative)
    assert response.status_code == 200
    assert hashlib.sha256(response.getvalue()).hexdigest() == person.photo_sha256
    assert response["ETag"] == f'"{person.photo_sha256}"'
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "immutable", "max-age=31536000"} <= cache_control
    assert response["Last-Modified"].endswith(" GMT")


def test_a_box_holding_the_photo_gets_304_without_a_body(served):
    fake, person, relative = served
    first = fake.photo(relative)
    again = fake.client.get(fake.login["imgServerAddr"] + relative, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"] and "immutable" in again["Cache-Control"]
    since = fake.client.get(fake.login["imgServerAddr"] + relative, HTTP_IF_MODIFIED_SINCE=http_date(time.time()))
    assert since.status_code == 304 and since.content == b""
    other = fake.client.get(fake.login["imgServerAddr"] + relative, HTTP_IF_NONE_MATCH='"' + "0" * 64 + '"')
    assert other.status_code == 200 and hashlib.sha256(other.content).hexdigest() == person.photo_sha256


def test_box_authentication_applies_to_conditional_requests_too(served, client):
    fake, person, relative = served
    path = urlsplit(relative).path
    etag = f'"{person.photo_sha256}"'
    assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code in (401, 403)
    wrong = fake.signed(path).replace(fake.token, "not-the-token")
    assert client.get(wrong, HTTP_IF_NONE_MATCH=etag).status_code in (401, 403)


@pytest.mark.slow
def test_the_agent_does_not_download_a_photo_it_holds(agent, agent_api, make_box, live_server):
    box = make_box("agent box")
    configure(agent_api, box, live_server)
    wait_for(lambda: agent.health.broker == "connected")
    fetched = []
    real_photo = agent.platform.photo

    def counted(url: str) -> bytes:
        data = real_photo(url)
        fetched.append(len(data))
        return data

    agent.platform.photo = counted
    group = PermissionGroup.objects.create(name="staff")
    services.set_group_boxes(group, [box])
    person = services.create_person(name="Barack Obama", identity_id="obama", permission_groups=[group],
                                    photo=face_photo("enroll/obama/1.jpg"))
    services.add_person_photo(person, face_photo("probe/obama/5.jpg"))  # two photos: ext_photos lists both

    def enrolled() -> bool:
        enrolment = Enrolment.objects.filter(box=box, identity_id="obama").first()
        return enrolment is not None and enrolment.state == "enrolled" and enrolment.command.is_finished

    wait_for(enrolled, timeout=60)
    assert len(fetched) >= 2 and sum(fetched) > 0
    fetched.clear()
    [command] = sync_people(["obama"], refresh=True)  # sent again (as after an edit), photos unchanged
    wait_for(lambda: Enrolment.objects.get(box=box, identity_id="obama").command_id == command.pk
             and enrolled(), timeout=60)
    assert fetched == [], f"downloaded again: {fetched}"
    assert "obama" in agent.gallery
