"""A learner's transcript with the statements behind each line, for people (the console, issue 14).

The transcript itself is lrs/reports/transcript.py; this adds the look-up a person does: check the
learner given, then read the statements a line stands on so that they can be shown. No Flask.
"""
import json

import schemas

from ..xapi.agents import agent_key
from ..xapi.query import schema_value
from .transcript import transcript


def learner_key(agent, version):
    """The agent key of `agent` (a dict): BadRequest naming what is wrong when it is not an Agent."""
    return agent_key(schema_value(schemas.validate_agent, agent, version, False))


def learner_transcript(storage, store_id, agent, version):
    """[transcript.Line] of the learner `agent` in the store."""
    return transcript(storage, store_id, learner_key(agent, version))


def line_evidence(storage, store_id, agent, activity, version):
    """(the learner's Line for `activity` or None, [statement dicts] it stands on, in store order)."""
    line = next((line for line in learner_transcript(storage, store_id, agent, version) if line.activity == activity),
                None)
    if line is None:
        return None, []
    found = storage.get_statements(store_id, line.statements)
    return line, [json.loads(found[statement_id].body) for statement_id in line.statements if statement_id in found]
