"""The development SMS journal through the whole pipeline: the patient's SMS is written to
var/sms-journal.jsonl and counts as handed over, so no dead letter piles up on the desk."""

from __future__ import annotations

import json

from dispatcher.notify.dead_letters import dead_letters
from dispatcher.notify.delivery_state import DeliveryState
from dispatcher.notify.sms import JournalSmsGateway, build_gateway
from dispatcher.storage.database import Database
from tests.notify.conftest import Pipeline, make_call


def test_sms_journal_records_the_message_instead_of_failing_it(
    pipeline: Pipeline, db: Database
) -> None:
    settings = pipeline.settings.model_copy(update={"sms_gateway": "journal"})
    gateway = build_gateway(settings, pipeline.context.deliveries.receipt)
    assert isinstance(gateway, JournalSmsGateway)
    pipeline.context.sms = gateway
    make_call(db)
    pipeline.run()
    (delivery,) = pipeline.deliveries(channel="sms")
    assert delivery.state == DeliveryState.SENT.value
    (line,) = settings.sms_journal_path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert (entry["text"], entry["reference"]) == (delivery.body, delivery.id)
    with db.session() as session:
        assert dead_letters(session, None) == []
