"""Real statements used as the examples of the OpenAPI document (a video, a podcast, a quiz).

They are valid under both xAPI versions (tests/api/test_openapi.py sends each of them to the LRS),
and use the verbs and extensions of the published xAPI profiles (the ADL video and audio
profiles, the ADL vocabulary for assessments).
"""

VIDEO_STATEMENT = {
    "id": "6c5a2c0e-6a1f-4a4e-9d8a-1c2b3d4e5f60",
    "actor": {"objectType": "Agent", "name": "Ada Lovelace", "mbox": "mailto:ada@example.gov"},
    "verb": {"id": "https://w3id.org/xapi/video/verbs/played", "display": {"en-US": "played"}},
    "object": {
        "objectType": "Activity",
        "id": "https://videos.example.gov/fire-safety/extinguishers",
        "definition": {
            "type": "https://w3id.org/xapi/video/activity-type/video",
            "name": {"en-US": "Using a fire extinguisher"},
            "description": {"en-US": "Four-minute training video: pull, aim, squeeze, sweep."},
        },
    },
    "result": {
        "extensions": {"https://w3id.org/xapi/video/extensions/time": 12.5},
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {
            "category": [{"objectType": "Activity", "id": "https://w3id.org/xapi/video"}],
            "parent": [{"objectType": "Activity", "id": "https://courses.example.gov/fire-safety"}],
        },
        "extensions": {
            "https://w3id.org/xapi/video/extensions/session-id": "af3ba2e5-1c23-4f8e-9a6d-0b1c2d3e4f50",
            "https://w3id.org/xapi/video/extensions/length": 245.0,
        },
        "language": "en-US",
    },
    "timestamp": "2026-03-02T09:15:42.120Z",
}

PODCAST_STATEMENT = {
    "id": "0f6e3c7a-2b1d-4c5e-8f9a-0b1c2d3e4f51",
    "actor": {"objectType": "Agent", "name": "Grace Hopper",
              "account": {"homePage": "https://learning.example.gov", "name": "ghopper"}},
    "verb": {"id": "https://w3id.org/xapi/audio/verbs/completed", "display": {"en-US": "completed"}},
    "object": {
        "objectType": "Activity",
        "id": "https://podcasts.example.gov/public-health/episode-12",
        "definition": {
            "type": "https://w3id.org/xapi/audio/activity-type/audio",
            "name": {"en-US": "Public Health Weekly, episode 12: heat waves",
                     "fr-CA": "Santé publique hebdo, épisode 12 : canicules"},
        },
    },
    "result": {"completion": True, "duration": "PT31M4.5S",
               "extensions": {"https://w3id.org/xapi/audio/extensions/time": 1864.5}},
    "context": {"platform": "Podcast player 4.2", "language": "en-US"},
    "timestamp": "2026-03-02T18:40:00+01:00",
}

QUIZ_STATEMENT = {
    "id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
    "actor": {"objectType": "Agent", "name": "Alan Turing", "mbox": "mailto:alan@example.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
    "object": {
        "objectType": "Activity",
        "id": "https://quiz.example.gov/fire-safety/q3",
        "definition": {
            "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
            "name": {"en-US": "Question 3"},
            "description": {"en-US": "Which extinguisher is safe on an electrical fire?"},
            "interactionType": "choice",
            "correctResponsesPattern": ["co2"],
            "choices": [
                {"id": "water", "description": {"en-US": "Water"}},
                {"id": "foam", "description": {"en-US": "Foam"}},
                {"id": "co2", "description": {"en-US": "Carbon dioxide"}},
            ],
        },
    },
    "result": {"score": {"scaled": 1.0, "raw": 1, "min": 0, "max": 1}, "success": True,
               "completion": True, "response": "co2", "duration": "PT18S"},
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "contextActivities": {"parent": [{"objectType": "Activity",
                                          "id": "https://quiz.example.gov/fire-safety"}]},
    },
    "timestamp": "2026-03-02T09:31:07.004Z",
}

EXAMPLES = {
    "video": ("A video played (ADL video profile)", VIDEO_STATEMENT),
    "podcast": ("A podcast episode listened to the end (ADL audio profile)", PODCAST_STATEMENT),
    "quiz": ("A quiz question answered (choice interaction, scored)", QUIZ_STATEMENT),
}
