"""What the officer reads when a platform cannot be reached: the host and the kind, in their language."""

from __future__ import annotations

import requests

from publisher.i18n import set_language
from publisher.platforms.base import Outcome
from publisher.platforms.http import exception_result


def _refused(url: str, exc_type: type[requests.RequestException]) -> requests.RequestException:
    request = requests.Request("GET", url).prepare()
    return exc_type(
        "HTTPSConnectionPool(host='www.googleapis.com', port=443): Max retries exceeded", request=request
    )


def test_an_unreachable_platform_is_named_without_the_library_text() -> None:
    exc = _refused("https://www.googleapis.com/youtube/v3/channels", requests.exceptions.ConnectionError)
    result = exception_result(exc, creating=False)
    assert result.outcome is Outcome.TRANSIENT and result.code == "ConnectionError"
    text = str(result.reason)
    assert "www.googleapis.com" in text and "Không kết nối được" in text
    assert "HTTPSConnectionPool" not in text and "Max retries" not in text
    set_language("en")
    assert "Could not reach www.googleapis.com" in str(result.reason)


def test_a_timeout_says_the_platform_did_not_answer_in_time() -> None:
    exc = _refused("https://openapi.zalo.me/v2.0/oa/getoa", requests.exceptions.ReadTimeout)
    assert "openapi.zalo.me không trả lời kịp" in str(exception_result(exc, creating=False).reason)
