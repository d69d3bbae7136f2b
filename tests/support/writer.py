"""A real writer process for the functional tests: appends N ledger lines, some split across
several writes, at a steady pace. Usage: python -m tests.writer PATH N [DELAY_S]"""

from __future__ import annotations

import os
import sys
import time

from ledger.agent.writer import LedgerWriter, usage_record


def main(path: str, n: int, delay: float) -> None:
    writer = LedgerWriter(path)
    for i in range(n):
        rec = usage_record(provider="cerebras", model="glm-4.7", input_tokens=i, output_tokens=1,
                           session="w", ts="2026-11-20T12:00:00")
        if i % 7 == 3:  # a torn append: the reader must wait for the newline
            import json

            raw = (json.dumps(rec) + "\n").encode()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(fd, raw[:10])
            time.sleep(delay)
            os.write(fd, raw[10:])
            os.close(fd)
        else:
            writer.append(rec)
        time.sleep(delay)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 0.002)
