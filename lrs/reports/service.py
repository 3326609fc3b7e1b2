"""What the HTTP layer asks of the reports (issue 13): parameters checked, rows streamed."""
import csv
import io
import json

import schemas

from ..errors import BadRequest
from ..xapi.agents import agent_key
from ..xapi.jsonbody import parse_json
from ..xapi.query import schema_value
from .transcript import COLUMNS, transcript

FORMATS = ("json", "csv")


def _format(params, accept):
    if "format" in params:
        if params["format"] not in FORMATS:
            raise BadRequest("format must be json or csv, got %r" % params["format"])
        return params["format"]
    return "csv" if "text/csv" in (accept or "") else "json"


def _csv_rows(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in [header] + rows if header else rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


class ReportService:
    def __init__(self, storage, version):
        self.storage, self.version = storage, version

    def transcript(self, principal, params, accept):
        """(media type, iterator of text chunks) of the transcript of params["agent"]."""
        unknown = sorted(set(params) - {"agent", "format"})
        if unknown:
            raise BadRequest("unknown parameter(s) for transcript: %s (known: agent, format)" % ", ".join(unknown))
        if "agent" not in params:
            raise BadRequest("the agent parameter is required: the learner as an xAPI Agent (JSON)")
        agent = schema_value(schemas.validate_agent, parse_json(params["agent"], "the agent parameter"), self.version,
                             False)
        kind = _format(params, accept)
        lines = transcript(self.storage, principal.store_id, agent_key(agent))
        if kind == "csv":
            rows = [[_cell(line.row()[column]) for column in COLUMNS] for line in lines]
            return "text/csv", _csv_rows(list(COLUMNS), rows)
        return "application/json", _json_chunks(agent, [line.row() for line in lines])


def _cell(value):
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _json_chunks(agent, rows):
    yield '{"agent":%s,"activities":[' % json.dumps(agent, separators=(",", ":"))
    for number, row in enumerate(rows):
        yield ("," if number else "") + json.dumps(row, separators=(",", ":"), ensure_ascii=False)
    yield "]}"
