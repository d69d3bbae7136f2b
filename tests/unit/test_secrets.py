"""The scrubber: every credential shape the issue found kept verbatim is masked with ``****``, and the
error texts agents really write stay readable."""

from __future__ import annotations

import pytest

from ledger.secrets import scrub

MASKED = [
    ("AKIAIOSFODNN7EXAMPLE in the request", "AKIAIOSFODNN7EXAMPLE"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("invalid x-api-key: abc123", "abc123"),
    ("Authorization: Bearer shorty1", "shorty1"),
    ("push with ghp_" + "a1B2c3D4" * 4 + "e5F6 failed", "ghp_" + "a1B2c3D4" * 4 + "e5F6"),
    ('{"api_key": "hunter2-x", "model": "m"}', "hunter2-x"),
    ('{"message": "body {\\"api_key\\": \\"hunter2-y\\"}"}', "hunter2-y"),
    ("Incorrect API key provided: sk-proj-abcdefABCDEF123456", "sk-proj-abcdefABCDEF123456"),
    ("401 for sk-ant-api03-" + "x" * 40, "sk-ant-api03-" + "x" * 40),
    ("GET https://alice:s3cr3t@api.example.com/v1", "s3cr3t"),
    ("GET https://example.com/v1/models?key=AIzaSyA1234567890abcdefghijklmn&alt=sse",
     "AIzaSyA1234567890abcdefghijklmn"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl expired",
     "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"),
    ("slack xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA7"),
    ("password=correct-horse", "correct-horse"),
    ("stripe sk_live_" + "0" * 24, "sk_live_" + "0" * 24),
]


@pytest.mark.parametrize(("text", "secret"), MASKED, ids=[m[1][:12] for m in MASKED])
def test_each_credential_shape_is_masked(text: str, secret: str) -> None:
    clean = scrub(text)
    assert secret not in clean
    assert "****" in clean


def test_a_key_packwatch_was_given_is_masked_whatever_its_shape() -> None:
    assert scrub("echoed: plain-old-key-9", ["plain-old-key-9"]) == "echoed: ****"


@pytest.mark.parametrize("text", [
    "429 Too Many Requests",
    "500 Internal Server Error: Upstream provider unavailable",
    "ModelHTTPError: status_code: 400, model_name: claude-sonnet-4-5, body: max_tokens: 8192 > 4096",
    '"token_count": 12',
    "request_id: req_011CUxyzABCDEFGHIJKLMN failed after 3 retries",
    "a monkey=banana and author: Jane",
])
def test_ordinary_error_texts_stay_as_they_are(text: str) -> None:
    assert scrub(text) == text
