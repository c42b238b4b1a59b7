"""Several photos per person in a real browser (issue 15 item 1): the photo chosen for upload is
judged by the platform at once (the boxes' engine, through the API) and its badge and reason
shown before anything is sent; one the boxes would refuse is sent only with "add it anyway"."""
from tests.browser.chromium import SHOTS, needs_chromium
from tests.helpers import blurred
from tests.paths import FACES
from users import services

PASSWORD = "correct horse battery"

pytestmark = [needs_chromium]


def test_a_photo_is_judged_before_it_is_sent(browser_page, asgi_server, admin_user, tmp_path):
    page, base = browser_page, asgi_server.url
    person = services.create_person(name="Barack Obama", identity_id="obama",
                                    photo=(FACES / "enroll/obama/1.jpg").read_bytes())
    soft = tmp_path / "soft.jpg"
    soft.write_bytes(blurred("probe/obama/1.jpg"))
    page.goto(f"{base}/people/{person.pk}/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.locator("#photos [data-quality=pass]").wait_for()

    page.set_input_files("#id_photo", str(soft))
    page.locator("#photo-verdict [data-quality=fail]").wait_for()
    assert "blurred" in page.locator("#photo-verdict").inner_text()
    page.click("#photo-upload button[type=submit]")  # refused in the page: nothing sent
    page.locator("#photo-verdict", has_text="add it anyway").wait_for()
    assert person.photos.count() == 1
    page.screenshot(path=str(SHOTS / "person-photo-refused.png"), full_page=True)

    page.check("#id_anyway")
    page.click("#photo-upload button[type=submit]")
    page.locator(".alert-success", has_text="Photo added").wait_for()
    assert person.photos.count() == 2 and page.locator("#photos li [data-quality=fail]").count() == 1

    page.set_input_files("#id_photo", str(FACES / "probe/obama/2.jpg"))
    page.locator("#photo-verdict [data-quality=pass], #photo-verdict [data-quality=warn]").wait_for()
    page.click("#photo-upload button[type=submit]")
    page.locator(".alert-success", has_text="Photo added").wait_for()
    assert person.photos.count() == 3
    page.screenshot(path=str(SHOTS / "person-photos.png"), full_page=True)
    assert page.script_errors == []
