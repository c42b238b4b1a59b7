"""The OpenAPI schema documents what boxes send to every /box/ endpoint, under upstream's own
field names (CONTRACT.md: never renamed), and the contract's error envelope for refusals."""
import pytest
from drf_spectacular.generators import SchemaGenerator

STATUS_EXT = {"sw_version", "sdk_version", "gateway_mac", "cpu_usage", "memory_size", "memory_usage", "disk_size",
              "disk_free_size"}
SUB_DEVICE = {"ep_id", "ep_name", "ep_ip", "ep_status", "ep_location", "ep_type", "ep_url"}
DEVICE_INFO = {"epId", "devSno", "direction", "epType", "memo", "epName", "epIp", "epStatus", "epVersion",
               "epGroupName", "epStreamUrl", "lastMonitorTime", "isMonitor", "privilegeGroupKey"}
EVENT = {"identity_id", "identity_name", "group_name", "reg_pic", "timestamp", "score", "ext_data"}
EVENT_EXT = {"device_ip", "ep_id", "spot_pic", "person_type", "device_type", "grab_fiqa_info", "box_fiqa_info",
             "dev_sno"}

# path -> (the JSON body's fields, {nested field: its fields}), from the upstream tables.
BODIES = {
    "/box/status": ({"gateway_ip", "gateway_name", "gateway_status", "gateway_sn", "dev_sno", "gateway_ext_data",
                     "sub_devices"}, {"gateway_ext_data": STATUS_EXT, "sub_devices": SUB_DEVICE}),
    "/box/devices": ({"actionType", "actiontype", "deviceInfo"}, {"deviceInfo": DEVICE_INFO}),
    "/box/events/history": (EVENT, {"ext_data": EVENT_EXT}),
    "/box/events/realtime": (EVENT, {"ext_data": EVENT_EXT}),
    "/box/persons": ({"userid_list", "ext_photos"}, {}),  # ext_photos: our agent's (docs/contract-extensions.md)
    "/box/results": ({"success", "code", "message", "dev_sno", "messageKey", "messageId", "result"}, {}),
}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def resolve(schema: dict, node: dict) -> dict:
    for combined in ("allOf", "oneOf", "anyOf"):  # a nullable reference: the reference and null
        if combined in node:
            node = next(option for option in node[combined] if "$ref" in option)
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    if node.get("type") == "array":
        return resolve(schema, node["items"])
    return node


def properties(schema: dict, node: dict) -> dict:
    return resolve(schema, node).get("properties", {})


@pytest.mark.parametrize("path", sorted(BODIES))
def test_each_box_body_is_documented_with_upstream_field_names(schema, path):
    fields, nested = BODIES[path]
    body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    documented = properties(schema, body)
    assert set(documented) == fields
    for name, inner in nested.items():
        assert set(properties(schema, documented[name])) == inner, name


def test_login_documents_its_query_and_reply(schema):
    login = schema["paths"]["/box/login"]["get"]
    assert {p["name"] for p in login["parameters"] if p["required"]} == {"dev_sno", "hex_mac"}
    reply = properties(schema, login["responses"]["200"]["content"]["application/json"]["schema"])
    assert {"token", "rabbitmq", "imgServerAddr", "recordAddr", "recordUploadPeriod", "deviceInfoAddr",
            "deviceMonitorAddr", "deviceMonitorPeriod"} <= set(reply)


def test_person_details_reply_is_documented_with_upstream_field_names(schema):
    reply = schema["paths"]["/box/persons"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    user_list = properties(schema, properties(schema, reply)["data"])["user_list"]
    person = properties(schema, user_list)
    # ext_photos: only when asked for (docs/contract-extensions.md), each photo as the entry's own.
    assert set(person) == {"identity_id", "reg_photo", "relative_pic_url", "register_type", "info", "ext_photos"}
    assert {"reg_photo", "relative_pic_url", "sha256", "primary", "quality"} == set(properties(schema,
                                                                                             person["ext_photos"]))
    assert {"permission_ids", "name", "type"} <= set(properties(schema, person["info"]))


def test_every_box_endpoint_documents_the_contract_error_envelope(schema):
    box_operations = [(path, method, operation) for path, item in schema["paths"].items() if path.startswith("/box/")
                      for method, operation in item.items()]
    assert len(box_operations) == 8
    for path, method, operation in box_operations:
        refusal = operation["responses"].get("400") or operation["responses"].get("401")
        assert refusal, f"{method} {path} documents no refusal"
        envelope = properties(schema, refusal["content"]["application/json"]["schema"])
        assert set(properties(schema, envelope["error"])) == {"code", "message", "status"}, f"{method} {path}"
