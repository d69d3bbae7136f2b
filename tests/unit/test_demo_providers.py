"""The demo's loopback providers: a prober that gives up mid-answer (its timeout, or the dashboard quitting)
leaves nothing on stderr, which is the dashboard's screen."""

from __future__ import annotations

import socket
import struct
import time

from dashboard.demo.providers import DemoProviders


def test_a_prober_that_hangs_up_mid_answer_prints_nothing(capfd) -> None:
    server = DemoProviders()
    try:
        for _ in range(5):
            client = socket.create_connection(server.server_address)
            client.sendall(b"GET /google/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # a reset
            client.close()  # before the answer (the server takes 50-400 ms)
        time.sleep(0.8)
        with socket.create_connection(server.server_address) as still:  # and it goes on answering
            still.sendall(b"GET /anthropic/v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert still.recv(64).startswith(b"HTTP/1.0 ")
    finally:
        server.stop()
    assert capfd.readouterr().err == ""
