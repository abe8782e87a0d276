"""LOG_FORMAT=json|text and LOG_LEVEL: one line per record, with the request id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from idp.config import ConfigError, validate_config
from idp.ops import logs, requestid
from tests.conftest import TEST_CONFIG

from .conftest import LIFETIMES


class FakeApp:
    def __init__(self, **config):
        self.config = {"ENV": "development", "LOG_LEVEL": "INFO", "LOG_FORMAT": None, **config}


@pytest.fixture
def configured():
    """Configure the root logger into a buffer; put the root logger back afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()

    def configure(**config):
        logs.configure(FakeApp(**config), stream=stream)
        return stream
    yield configure
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_json_lines_carry_the_request_id_and_extra_fields(configured):
    stream = configured(LOG_FORMAT="json")
    token = requestid.bind("req-json-0001")
    try:
        logging.getLogger("idp.test").info("hello %s", "world", extra={"status": 200})
    finally:
        requestid.unbind(token)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["msg"] == "hello world" and line["level"] == "INFO"
    assert line["logger"] == "idp.test" and line["request_id"] == "req-json-0001"
    assert line["status"] == 200 and line["ts"].endswith("+00:00")


def test_json_lines_hold_the_traceback_on_one_line(configured):
    stream = configured(LOG_FORMAT="json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("idp.test").exception("failed")
    [line] = stream.getvalue().splitlines()
    record = json.loads(line)
    assert "ValueError: boom" in record["exc"] and "request_id" not in record


def test_text_lines(configured):
    stream = configured(LOG_FORMAT="text")
    logging.getLogger("idp.test").warning("plain")
    assert stream.getvalue().rstrip().endswith("WARNING idp.test [-] plain")


def test_json_is_the_production_default_and_text_the_development_one():
    assert logs.log_format({"ENV": "production"}) == "json"
    assert logs.log_format({"ENV": "development"}) == "text"
    assert logs.log_format({"ENV": "development", "LOG_FORMAT": "json"}) == "json"


def test_log_level_filters(configured):
    stream = configured(LOG_FORMAT="text", LOG_LEVEL="warning")
    logging.getLogger("idp.test").info("not shown")
    logging.getLogger("idp.test").error("shown")
    assert "not shown" not in stream.getvalue() and "shown" in stream.getvalue()


def test_configuring_again_replaces_the_handler(configured):
    configured(LOG_FORMAT="text")
    configured(LOG_FORMAT="json")
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_idp_handler", False)]
    assert len(ours) == 1 and isinstance(ours[0].formatter, logs.JsonFormatter)


@pytest.mark.parametrize("key, bad", [("LOG_FORMAT", "xml"), ("LOG_LEVEL", "LOUD")])
def test_config_refuses_unknown_formats_and_levels(key, bad):
    with pytest.raises(ConfigError, match=f"IDP_{key}"):
        validate_config({**TEST_CONFIG, **LIFETIMES, key: bad})


def test_testing_apps_leave_logging_to_pytest(app):
    assert not [h for h in logging.getLogger().handlers if getattr(h, "_idp_handler", False)]
