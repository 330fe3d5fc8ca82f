"""The shared 429 gate is checked again after a wait: if another worker's 429 pushed it
further meanwhile, the request waits the rest instead of earning one more 429."""

from __future__ import annotations

from http_fakes import FakeBackend, FakeTime
from yarl import URL

from segments_orm._transport import RetryPolicy, Transport

URL_ = URL("https://api.segments.ai/user/")


def test_a_gate_extended_during_the_wait_is_waited_out(
    make_transport: object, adapter: FakeBackend, fake_time: FakeTime
) -> None:
    transport: Transport

    def sleep(seconds: float) -> None:
        fake_time.sleep(seconds)
        if len(fake_time.sleeps) == 1:
            # Another worker got a 429 while this one slept: the gate now ends later.
            transport._gate.close_for(2.0)

    policy = RetryPolicy(sleep=sleep, clock=fake_time.clock, random=lambda: 0.5)
    transport = make_transport(retry=policy)  # type: ignore[operator]
    waits: list[float] = []
    transport.add_wait_listener(lambda seconds, reason: waits.append(seconds))
    transport._gate.close_for(1.0)
    adapter.reply(200, json={"username": "jane"})

    assert transport.request("GET", URL_) == {"username": "jane"}
    assert fake_time.sleeps == [1.0, 2.0]  # slept again, not sent at the end of the first wait
    assert waits == [1.0, 2.0]  # and each wait was reported
    assert len(adapter.sent) == 1
