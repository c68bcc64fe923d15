"""A result the database itself refuses costs that result, not the batch (a savepoint per result):
before, one such value failed the whole report with a 500 and the agent retried it for ever."""

from __future__ import annotations

from sqlalchemy import text

from tests.helpers import create_monitor
from tests.test_gateway import _report, _result, gateway, registered, with_secret  # noqa: F401 - fixtures


def test_a_result_the_database_refuses_is_refused_alone(gateway, client, with_secret, db_url):  # noqa: F811
    from shared.db import make_engine

    agent_uuid, agent_id, credential = registered(gateway, client)
    monitor = create_monitor(client, agent_id=agent_id)
    engine = make_engine(db_url)
    with engine.begin() as conn:  # a real refusal by PostgreSQL, whatever the validation lets through
        conn.execute(text("ALTER TABLE check_results ADD CONSTRAINT no_poison CHECK (details <> 'poison')"))
    try:
        good, bad = _result(monitor["id"]), _result(monitor["id"], details="poison")
        later = _result(monitor["id"])
        response = _report(gateway, agent_id, credential, [good, bad, later])
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert body["accepted"] == 2
        assert [(r["index"], r["id"]) for r in body["refused"]] == [(1, bad["id"])]
        assert "the database refused it" in body["refused"][0]["error"]
        assert client.get(f"/api/monitors/{monitor['id']}/results").get_json()["total"] == 2
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE check_results DROP CONSTRAINT no_poison"))
        engine.dispose()
