"""`python -m nlp address|complaints`: one text per stdin line, one JSON object per stdout line."""

from __future__ import annotations

import argparse
import json
import sys

from nlp.pipeline import NlpPipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp", description=__doc__)
    parser.add_argument("task", choices=["address", "complaints"])
    args = parser.parse_args(argv)
    pipeline = NlpPipeline.load()
    for line in sys.stdin:
        text = line.rstrip("\n")
        if args.task == "address":
            result = pipeline.address.parse(text).as_dict()
        else:
            result = pipeline.complaints.parse(text).as_dict()
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
