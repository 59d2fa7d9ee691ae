"""Logging: structlog renders each event to one line, the standard library carries it.

The `sipol_migrate` logger writes to stderr (readable key=value lines by default, JSON lines with
`--log-format json`) and, inside a flow run, also to the Prefect API through Prefect's own
`APILogHandler`, so the lines show in the run's logs in the UI. Every event passes
`mask_personal_data` first: any 16-digit run (a NIK, whatever the separators) is masked and keys
that hold names, birth dates or passwords are dropped.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

LOGGER_NAME = "sipol_migrate"
_NIK_LIKE = re.compile(r"(?<!\d)(?:\d[\s.\-']?){15}\d(?!\d)")
_PERSONAL_KEYS = {"nik", "name", "nama", "birth_date", "tgl_lahir", "password"}
# PostgreSQL's DETAIL / CONTEXT lines quote row values ("Failing row contains (…)", "Key (nik)=(…)",
# "COPY stg_member, line 1, column name: \"…\""). Hidden up to the end of the line, also inside an
# exception's repr, where the line ends at an escaped \n before the closing quote or the next field.
_DB_DETAIL = re.compile(r"(DETAIL|CONTEXT):.*?(?=\\n(?:['\"]|[A-Z]+:|\[SQL)|\n|$)")


def mask_text(text: str) -> str:
    """Mask every 16-digit run (with or without separators) and every database DETAIL / CONTEXT
    line (they quote row values) in free text."""
    return _DB_DETAIL.sub(r"\1: [hidden]", _NIK_LIKE.sub("[NIK]", text))


def mask_personal_data(_logger, _method, event_dict: dict) -> dict:
    for key in list(event_dict):
        if key in _PERSONAL_KEYS:
            event_dict[key] = "[masked]"
        elif isinstance(event_dict[key], str):
            event_dict[key] = mask_text(event_dict[key])
    return event_dict


class MaskingFilter(logging.Filter):
    """The same mask for records that did not come through structlog (libraries, Prefect)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_text(record.getMessage())
            record.args = None
        if record.exc_info and not record.exc_text:  # the traceback, formatted once and masked
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


def _api_handler() -> logging.Handler | None:
    try:
        from prefect.logging.handlers import APILogHandler
    except ImportError:  # pragma: no cover - prefect is a dependency
        return None
    return APILogHandler()


def configure(level: str = "INFO", fmt: str = "console") -> None:
    renderer = (structlog.processors.JSONRenderer() if fmt == "json"
                else structlog.dev.ConsoleRenderer(colors=False, pad_event_to=28))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            mask_personal_data,
            renderer,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=False,
    )
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("%(message)s"))
    handlers = [console, _api_handler()]
    logger = logging.getLogger(LOGGER_NAME)
    logger.handlers[:] = [h for h in handlers if h is not None]
    for handler in logger.handlers:
        handler.addFilter(MaskingFilter())
    logger.setLevel(level.upper())
    logger.propagate = False


def mask_prefect_handlers() -> None:
    """Put the NIK mask on every handler Prefect configured (API and console)."""
    names = ("", "prefect", "prefect.flow_runs", "prefect.task_runs", "prefect.extra")
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, MaskingFilter) for f in handler.filters):
                handler.addFilter(MaskingFilter())


def get_logger(name: str = LOGGER_NAME):
    return structlog.get_logger(name)
