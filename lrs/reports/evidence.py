"""A learner's transcript with the statements behind each line, for people (the console, issue 14).

The transcript itself is lrs/reports/transcript.py; this adds the look-up a person does: check the
learner given, then read the statements a line stands on so that they can be shown. No Flask.
"""
import json

from .rule import load_rule
from .service import learner
from .transcript import transcript


def learner_transcript(storage, store_id, agent, version):
    """[transcript.Line] of the learner `agent` (a dict, checked as the API checks it: BadRequest) in the store,
    by the store's completion rule."""
    _who, keys = learner({"agent": json.dumps(agent)}, version)
    return transcript(storage, store_id, keys, load_rule(storage, store_id))


def line_evidence(storage, store_id, agent, activity, version):
    """(the learner's Line for `activity` or None, [statement dicts] it stands on, in store order)."""
    line = next((line for line in learner_transcript(storage, store_id, agent, version) if line.activity == activity),
                None)
    if line is None:
        return None, []
    found = storage.get_statements(store_id, line.statements)
    return line, [json.loads(found[statement_id].body) for statement_id in line.statements if statement_id in found]
