"""Logging: structlog over the standard library, so Prefect picks the records up.

`PREFECT_LOGGING_EXTRA_LOGGERS=sipol_migrate` routes the `sipol_migrate` logger into the flow
run's logs. Every event passes `mask_personal_data` first: any run of 16 digits (a NIK, whatever
the separators) is masked, and keys that hold names or birth dates are dropped.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

LOGGER_NAME = "sipol_migrate"
_NIK_LIKE = re.compile(r"(?<!\d)(?:\d[\s.\-']?){15}\d(?!\d)")
_PERSONAL_KEYS = {"nik", "name", "nama", "birth_date", "tgl_lahir", "password"}


def mask_text(text: str) -> str:
    """Mask every 16-digit run (with or without separators) in free text."""
    return _NIK_LIKE.sub("[NIK]", text)


def mask_personal_data(_logger, _method, event_dict: dict) -> dict:
    for key in list(event_dict):
        if key in _PERSONAL_KEYS:
            event_dict[key] = "[masked]"
        elif isinstance(event_dict[key], str):
            event_dict[key] = mask_text(event_dict[key])
    return event_dict


class _MaskingFilter(logging.Filter):
    """Applies the same mask to records of other libraries on our handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):  # structlog's own records carry a dict, masked above
            record.msg = mask_text(record.getMessage())
            record.args = None
        return True


def configure(level: str = "INFO", fmt: str = "console") -> None:
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_personal_data,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processors=[
        structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]))
    handler.addFilter(_MaskingFilter())
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())


def get_logger(name: str = LOGGER_NAME):
    return structlog.get_logger(name)
