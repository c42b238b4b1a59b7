"""Markers set by path (tests/conftest.py adds them at collection), and the files behind a
marker for scripts/test_suite.sh, which hands a pass only the files it runs: collecting all of
them costs 20 s (the fuzzer's module alone 14 s: schemathesis builds its cases then)."""
import sys

# Which tests `make test-fast` leaves out (the whole suite, `make test`, runs them all).
MARKED_BY_PATH = {
    "browser": ("tests/browser/",),
    # Run with no other pass using the broker (scripts/test_suite.sh), a count of the broker's free
    # sockets included, which another pass's connections would move (CI failed it so).
    "drill": ("tests/test_fault_drills.py", "tests/test_edge_agent_faults.py",
              "tests/test_distribution.py::test_broker_restart",
              "tests/test_broker_vhosts.py::test_the_broker_says_how_many_connections_it_can_still_take"),
    "slow": ("tests/contract/", "tests/test_live_across_processes.py", "tests/test_roles_live.py",
             "tests/test_api_fuzz.py",
             "tests/test_event_intake_large.py", "tests/security/test_uploads.py",
             "tests/test_bench_fleet.py",
             "tests/test_edge_stock_cloud.py::test_a_command_held_up_by_a_slow_platform_costs_no_reconnect",
             "tests/test_strangers_agents.py"),
    # The agent and its face engine, which use no platform database: `make test` runs them once,
    # beside the drills or (in_postgres_pass) in the PostgreSQL pass, not on both engines (nor the
    # browser tests: the console's pages do not depend on the database engine; its queries are
    # covered by the console and API tests).
    "edge": ("tests/face/", "tests/test_edge_events.py", "tests/test_edge_local_api.py",
             "tests/test_edge_stock_cloud.py", "tests/contract/test_stock_cloud.py",
             "tests/security/test_box_local_api.py", "tests/test_edge_backoff.py"),
    # Edge tests that touch neither the broker nor a database: `make test` runs them beside the
    # fault drills, whose broker restarts leave the second core idle (scripts/test_suite.sh).
    "beside_drills": ("tests/face/", "tests/test_edge_local_api.py", "tests/test_edge_events.py",
                      "tests/security/test_box_local_api.py", "tests/test_edge_backoff.py"),
    # Tests run once (edge or "once") that `make test` runs in the PostgreSQL pass rather than the
    # SQLite one, so that the two side-by-side passes end together (scripts/test_suite.sh).
    "in_postgres_pass": ("tests/test_edge_stock_cloud.py", "tests/contract/test_stock_cloud.py",
                         "tests/test_event_intake_large.py", "tests/security/test_uploads.py",
                         "tests/security/test_held.py"),
    # Platform tests whose behaviour does not turn on the database engine (the live relay through
    # RabbitMQ, memory bounds while streaming, the simulated fleet, a broker restart with a fake
    # box, the broker's vhosts and queue types, the production settings' checks, the stock box's
    # wire contract, what a kept picture may be, the console's words and translations, cache
    # headers, the API description's, websockets' and the login page's access rules, embedding
    # arithmetic, console pages other than the events' and people's): run once, in the SQLite
    # pass unless in_postgres_pass, to keep `make test` under 15 minutes. (The stock box in the
    # PostgreSQL pass also started the platform's processes again: 85 s.)
    "once": ("tests/test_live_across_processes.py", "tests/test_roles_live.py", "tests/test_bench_fleet.py",
             "tests/contract/test_stock_box.py", "tests/security/test_held.py",
             "tests/test_console_states_and_words.py", "tests/test_i18n.py", "tests/test_photo_caching.py",
             "tests/security/test_api_docs_access.py", "tests/security/test_websocket_origin.py",
             "tests/security/test_console_login.py", "tests/test_face_agent_embedding.py",
             "tests/test_face_embeddings.py", "tests/test_edge_video_optional.py",
             # console pages drawn from the selectors the API tests run on both engines
             "tests/test_areas_console.py", "tests/test_roles_console.py", "tests/test_audit_console.py",
             "tests/test_match_feedback_console.py",
             "tests/test_person_photos_console.py",
             "tests/test_event_intake_large.py", "tests/security/test_uploads.py",
             "tests/test_distribution.py::test_broker_restart", "tests/test_broker_vhosts.py",
             "tests/test_celery_queue_type.py", "tests/security/test_production_settings.py"),
    # The API fuzzer: against PostgreSQL when there is one (it is the stricter engine: NUL in text
    # was a 500 there only), else on SQLite (Makefile test-sqlite / test-postgres).
    "fuzz": ("tests/test_api_fuzz.py",),
}


def files_marked(marker: str) -> list[str]:
    """The files holding the tests of `marker` (a node id's file part), each once."""
    return list(dict.fromkeys(path.split("::")[0] for path in MARKED_BY_PATH[marker]))


if __name__ == "__main__":
    print(" ".join(files_marked(sys.argv[1])))
