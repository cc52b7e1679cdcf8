"""`python -m bench`: the NLP bench (vs natasha) and the intake round-trip bench (vs bare cost)."""

from __future__ import annotations

import sys

from bench import (
    analytics_bench,
    bot_steps_bench,
    desk_bench,
    intake_bench,
    messenger_bench,
    notify_bench,
    screenpop_bench,
)


def main() -> int:
    status = 0
    try:
        from bench import nlp_bench  # type: ignore[attr-defined,unused-ignore]
    except ImportError as exc:
        print(f"NLP bench unavailable: {exc}", file=sys.stderr)
        status = 1
    else:
        status |= nlp_bench.main()
    status |= intake_bench.main()
    status |= notify_bench.main()  # status events to SMS and webhooks
    status |= desk_bench.main()  # live desk sockets
    status |= messenger_bench.main("telegram", "max")  # both bots' updates/s and p99, side by side
    status |= bot_steps_bench.main()  # telegram bot: taps and messages per path vs the goal
    status |= screenpop_bench.main()  # caller card latency
    status |= analytics_bench.main()  # a month of calls for the head's analytics
    return status


if __name__ == "__main__":
    raise SystemExit(main())
