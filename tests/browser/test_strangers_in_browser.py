"""Strangers in a real browser (issue 15 item 3): the grid of unknown visitors with their best
faces, a stranger's page with its events, enrolling it from the form, and the grid offering to
show strangers seen after it was loaded (the faces worker's live message)."""
from faces.models import StrangerCluster
from tests.browser.chromium import SHOTS, needs_chromium
from users.models import PermissionGroup, Person

PASSWORD = "correct horse battery"

pytestmark = [needs_chromium]


def test_the_strangers_grid_a_strangers_page_and_enrolling_it(browser_page, asgi_server, admin_user, boxes,
                                                              report_stranger):
    page, base = browser_page, asgi_server.url
    for box, photo, minute in (("north", "probe/obama/1.jpg", 0), ("south", "probe/obama/2.jpg", 5),
                               ("south", "probe/obama/3.jpg", 9), ("north", "probe/stranger/1.png", 7)):
        report_stranger(box, photo, minute)
    PermissionGroup.objects.create(name="Front desk").boxes.set(boxes.values())
    obama = StrangerCluster.objects.get(sightings_count=3)
    page.goto(f"{base}/faces/strangers/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    card = page.locator(f'.stranger-card[data-cluster-id="{obama.pk}"]')
    card.wait_for()
    assert page.locator(".stranger-card").count() == 2
    assert "Seen 3 times at 2 box(es)" in card.inner_text()
    # Its three faces are shown (the pictures load: lazily, so wait for them).
    page.wait_for_function(f"""() => {{
        const faces = [...document.querySelectorAll('[data-cluster-id="{obama.pk}"] img')];
        return faces.length === 3 && faces.every((img) => img.complete && img.naturalWidth > 0); }}""")
    page.screenshot(path=str(SHOTS / "strangers-grid.png"), full_page=True)

    report_stranger("north", "probe/obama/4.jpg", 12)  # seen again while the page is open
    page.locator("#strangers-live").wait_for(state="visible")

    card.locator("h2 a").click()
    page.locator("#enrol-form").wait_for()
    assert page.locator("#split-form tbody tr").count() == 4
    page.fill("#id_name", "Barack Visitor")
    page.select_option("#id_person_type", "3")
    page.get_by_label("Front desk").check()
    page.click("#enrol")
    page.locator(".alert-success[role=alert]", has_text="the boxes of their groups are being sent").wait_for()
    person = Person.objects.get(name="Barack Visitor")
    assert person.person_type == 3 and person.permission_groups.get().name == "Front desk"
    assert page.locator("#enrolled-as").inner_text().startswith("Enrolled as Barack Visitor")
    page.screenshot(path=str(SHOTS / "stranger-enrolled.png"), full_page=True)
    assert page.script_errors == []
