"""Validation speed of a typical ~1 KB statement, both versions.

    /work/main/.venv/bin/python tests/schemas/bench_validation.py
"""
import json
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import schemas  # noqa: E402

TYPICAL = {
    "actor": {"objectType": "Agent", "name": "Maria Muster", "mbox": "mailto:maria.muster@example.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "de-CH": "abgeschlossen"}},
    "object": {
        "objectType": "Activity",
        "id": "https://learning.example.gov/units/data-protection/quiz-3",
        "definition": {
            "name": {"en-US": "Data protection basics, quiz 3", "de-CH": "Datenschutz Grundlagen, Quiz 3"},
            "description": {"en-US": "Ten questions on the data protection act for public employees."},
            "type": "http://adlnet.gov/expapi/activities/assessment",
        },
    },
    "result": {
        "score": {"scaled": 0.85, "raw": 17, "min": 0, "max": 20},
        "success": True,
        "completion": True,
        "duration": "PT4M35.12S",
        "extensions": {"https://learning.example.gov/xapi/ext/attempt": 2},
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {
            "parent": [{"id": "https://learning.example.gov/units/data-protection"}],
            "grouping": [{"id": "https://learning.example.gov/programmes/onboarding-2026"}],
        },
        "language": "de-CH",
        "platform": "Example Micro-Learning Player 4.2",
        "extensions": {"https://learning.example.gov/xapi/ext/department": "finance",
                       "https://learning.example.gov/xapi/ext/device": {"kind": "mobile", "os": "iOS 19"}},
    },
    "timestamp": "2026-03-14T09:26:53.589+01:00",
}


def main(number=20000):
    print("statement size: %d bytes" % len(json.dumps(TYPICAL)))
    for version in schemas.SUPPORTED_VERSIONS:
        schemas.validate_statement(TYPICAL, version)
        best = min(timeit.repeat(lambda: schemas.validate_statement(TYPICAL, version), number=number, repeat=5))
        print("validate_statement %s: %.1f us/statement (%.0f statements/s on one core)"
              % (version, best / number * 1e6, number / best))


if __name__ == "__main__":
    main()


def plain_marshmallow_reference(number=5000):
    """For comparison only: the same statement through stock marshmallow nested schemas
    (Nested/List/Dict/String/Float/Boolean, unknown=RAISE), which check far less than ours."""
    from marshmallow import RAISE, Schema, fields

    class Base(Schema):
        class Meta:
            unknown = RAISE

    class Agent(Base):
        objectType = fields.String(); name = fields.String(); mbox = fields.String()  # noqa: E702

    class Verb(Base):
        id = fields.String(required=True); display = fields.Dict(keys=fields.String(), values=fields.String())  # noqa: E702

    class Definition(Base):
        name = fields.Dict(keys=fields.String(), values=fields.String())
        description = fields.Dict(keys=fields.String(), values=fields.String())
        type = fields.String()

    class Activity(Base):
        objectType = fields.String(); id = fields.String(required=True); definition = fields.Nested(Definition)  # noqa: E702

    class Score(Base):
        scaled = fields.Float(); raw = fields.Float(); min = fields.Float(); max = fields.Float()  # noqa: E702

    class Result(Base):
        score = fields.Nested(Score); success = fields.Boolean(); completion = fields.Boolean()  # noqa: E702
        duration = fields.String(); extensions = fields.Dict()  # noqa: E702

    class ContextActivities(Base):
        parent = fields.List(fields.Nested(Activity)); grouping = fields.List(fields.Nested(Activity))  # noqa: E702

    class Context(Base):
        registration = fields.UUID(); contextActivities = fields.Nested(ContextActivities)  # noqa: E702
        language = fields.String(); platform = fields.String(); extensions = fields.Dict()  # noqa: E702

    class Statement(Base):
        actor = fields.Nested(Agent); verb = fields.Nested(Verb); object = fields.Nested(Activity)  # noqa: E702
        result = fields.Nested(Result); context = fields.Nested(Context); timestamp = fields.String()  # noqa: E702

    schema = Statement()
    schema.load(TYPICAL)
    best = min(timeit.repeat(lambda: schema.load(TYPICAL), number=number, repeat=3))
    print("reference, stock marshmallow nested load (fewer checks): %.1f us/statement" % (best / number * 1e6))


if __name__ == "__main__" and "--reference" in sys.argv:
    plain_marshmallow_reference()
