""""Wrong match" feedback in a real browser (issue 15 item 4): on a wrongly matched event the
administrator types part of a name, picks the right person from the suggestions, adds the face to
their photos, and sees the box's match scores drawn with the current and the suggested threshold."""
from tests.browser.chromium import SHOTS, needs_chromium

PASSWORD = "correct horse battery"

pytestmark = [needs_chromium]


def test_this_is_with_the_person_search_and_the_scores_chart(browser_page, asgi_server, admin_user, people,
                                                             report_match):
    page, base = browser_page, asgi_server.url
    wrong = report_match("gate", "obama", 0.47, "probe/biden/1.jpg")  # biden's face, matched to obama
    page.goto(f"{base}/events/{wrong.pk}/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.locator("#match-feedback").wait_for()

    page.locator("#feedback-person").press_sequentially("Bid", delay=50)
    page.locator('#feedback-people option[value="biden"]').wait_for(state="attached")
    page.fill("#feedback-person", "biden")
    page.locator("#feedback-person-help", has_text="Joe Biden").wait_for()
    page.check("#correct-add-photo")
    page.click("#feedback-correct button[type=submit]")
    page.locator(".alert-success", has_text="The event is Joe Biden now.").wait_for()
    page.locator(".alert-success", has_text="The face was added to the photos of Joe Biden").wait_for()
    assert "as the box said" in page.locator("#label-history").inner_text()
    assert people["biden"].photos.count() == 2
    page.screenshot(path=str(SHOTS / "match-feedback-event.png"), full_page=True)

    page.click("#box-scores-link")
    page.locator("#scores-chart").wait_for()
    assert page.locator("#rejected-count").inner_text() == "1"
    assert "0.47" in page.locator("#suggestion").inner_text()
    # Chart.js drew into the canvas (a blank canvas has no pixel set).
    drawn = page.evaluate("""() => { const c = document.getElementById('scores-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return d.some((v, i) => i % 4 === 3 && v > 0); }""")
    assert drawn
    page.screenshot(path=str(SHOTS / "match-scores-box.png"), full_page=True)
    assert page.script_errors == []
