"""Sites and areas in a real browser (issue 16 item 1): an administrator creates a site and an
area inside it, puts a box there and sees the box list grouped by site with its counts."""
from devices.models import Area
from tests.browser.chromium import SHOTS, needs_chromium

PASSWORD = "correct horse battery"

pytestmark = [needs_chromium]


def test_a_site_an_area_and_a_box_in_it_show_in_the_grouped_box_list(browser_page, asgi_server, admin_user,
                                                                      make_box):
    page, base = browser_page, asgi_server.url
    make_box("north gate")
    page.goto(base + "/boxes/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.locator("h1", has_text="Boxes").wait_for()

    page.click("text=Sites and areas")
    page.click("#new-site")
    page.fill("#id_name", "Campus")
    page.click("main button[type=submit]")
    page.locator("#area-table", has_text="Campus").wait_for()
    campus = Area.objects.get(name="Campus", parent=None)

    page.locator(f'tr[data-area="{campus.pk}"] a', has_text="Area inside").click()
    page.fill("#id_name", "Building A")
    assert page.locator("#id_parent").input_value() == str(campus.pk)
    page.click("main button[type=submit]")
    page.locator("#area-table", has_text="Building A").wait_for()
    building = Area.objects.get(name="Building A", parent=campus)

    page.goto(base + "/boxes/")
    page.locator("a", has_text="north gate").click()
    page.locator("a", has_text="Edit").click()
    page.select_option("#id_area", label="Campus / Building A")
    page.click("main button[type=submit]")
    page.locator("#box-area", has_text="Campus / Building A").wait_for()

    page.goto(base + "/boxes/")
    group = page.locator(f'tr[data-site-group="{campus.pk}"]')
    group.wait_for()
    assert "Campus" in group.inner_text()
    assert group.locator('[data-count="online"]').inner_text() == "0 online"
    assert group.locator('[data-count="offline"]').inner_text() == "1 offline"
    assert page.locator("#box-table tr", has_text="north gate").locator("td").nth(2).inner_text() == \
        "Campus / Building A"
    assert building.boxes.get().name == "north gate"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "areas-grouped-box-list.png"), full_page=True)
    assert page.script_errors == []

