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
