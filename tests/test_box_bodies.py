"""Bodies the distribution endpoints refuse, with the contract's error envelope (upstream §3:
400 PARAM_ERROR 40091), and what a refused result leaves behind (kept with its reason)."""
from distribution.models import ReceivedResult


def auth(client, box) -> str:
    token = client.get("/box/login", {"dev_sno": box.dev_sno, "hex_mac": "0x0000000000f7"}).json()["token"]
    return f"dev_sno={box.dev_sno}&token={token}"


def assert_param_error(response) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == 40091 and response.json()["error"]["status"] == "PARAM_ERROR"


def test_person_details_refuse_what_is_not_a_list_of_ids(client, make_box):
    query = auth(client, make_box("details"))
    for body in ({}, {"userid_list": "a,b"}, {"userid_list": [{"id": 1}]}, {"userid_list": [None]},
                 {"userid_list": [str(i) for i in range(1001)]}, ["a"]):
        assert_param_error(client.post(f"/box/persons?{query}", body, content_type="application/json"))
    answer = client.post(f"/box/persons?{query}", {"userid_list": ["nobody", 7]}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == {"data": {"user_list": []}}


def test_a_refused_result_is_kept_with_its_reason(client, make_box):
    box = make_box("results")
    query = auth(client, box)
    for body in ("[1]", "not json", '{"messageId": "x", "success": true}'):
        assert_param_error(client.post(f"/box/results?{query}", body, content_type="application/json"))
    kept = list(ReceivedResult.objects.filter(dev_sno=box.dev_sno).order_by("id").values_list("body", "error"))
    assert [body for body, _ in kept] == ["[1]", "not json", '{"messageId": "x", "success": true}']
    assert all(error for _, error in kept)
