"""Deterministic, realistic xAPI statements for the benchmark.

Statement number `i` (0, 1, 2, ...) of a seed is a pure function of (seed, i): any process can
generate any slice, and the checker can regenerate any statement from its id alone, so every
answer of the LRS is compared with what was sent without keeping a million statements in memory.

The population is a public-sector micro-learning catalogue:

- learners identified by `mbox` (about 70 %) or by an `account` on the agency's single sign-on;
- courses of modules, each module holding a video, a podcast and a quiz of questions (every
  question an interaction activity: choice, true-false, fill-in, numeric, likert, matching,
  sequencing);
- sessions of SESSION_LENGTH statements, one learner working through one module of one course
  under the registration of that (learner, course) enrolment: launched, experienced/progressed/
  completed the video, experienced the podcast, attempted the quiz, answered its questions,
  passed or failed it, and finally either completed the module or (one session in eight) got a
  comment from an instructor whose object is a StatementRef to the passed/failed statement.

Statement ids are random-looking version-4 UUIDs whose last 62 bits hold the statement number
masked by a seed-derived key (see `statement_id` / `index_of`): B-tree inserts stay as random
as with uuid4 while the number stays recoverable.

`plan(i)` gives the few facts the queries filter on (actor, verb, object, registration, related
activities, StatementRef target) without building the JSON; `statement(i)` builds the JSON.

Run `python -m bench.generate --count 2000` to print a sample statement and check generated
statements with the LRS's own validator (schemas.validate_statement, xAPI 1.0.3 and 2.0).
"""
import argparse
import json
import sys
import time
from collections import namedtuple

MASK64 = (1 << 64) - 1
MASK62 = (1 << 62) - 1

SESSION_LENGTH = 12
BASE_EPOCH_S = 1704067200          # 2024-01-01T00:00:00Z: the first session starts here
SESSION_SPACING_S = 20             # one new session every 20 s of simulated time

N_LEARNERS = 20000
N_COURSES = 40
N_MODULES = 6                       # per course
N_QUESTIONS = 4                     # per quiz
N_INSTRUCTORS = 25

SITE = "https://elearn.example.gov"
SSO = "https://sso.example.gov"
PROFILE_ID = SITE + "/xapi/profile"
VIDEO_PROFILE = "https://w3id.org/xapi/video"

ADL = "http://adlnet.gov/expapi/verbs/"
VERBS = {
    "launched": ADL + "launched",
    "initialized": ADL + "initialized",
    "experienced": ADL + "experienced",
    "progressed": ADL + "progressed",
    "completed": ADL + "completed",
    "attempted": ADL + "attempted",
    "answered": ADL + "answered",
    "passed": ADL + "passed",
    "failed": ADL + "failed",
    "commented": ADL + "commented",
    "terminated": ADL + "terminated",
}
VERB_DISPLAY = {
    "launched": ("launched", "gestartet"),
    "initialized": ("initialized", "initialisiert"),
    "experienced": ("experienced", "erlebt"),
    "progressed": ("progressed", "fortgeschritten"),
    "completed": ("completed", "abgeschlossen"),
    "attempted": ("attempted", "versucht"),
    "answered": ("answered", "beantwortet"),
    "passed": ("passed", "bestanden"),
    "failed": ("failed", "nicht bestanden"),
    "commented": ("commented", "kommentiert"),
    "terminated": ("terminated", "beendet"),
}

ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "module": "http://adlnet.gov/expapi/activities/module",
    "video": "https://w3id.org/xapi/video/activity-type/video",
    "podcast": "http://activitystrea.ms/schema/1.0/audio",
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "question": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "profile": "http://adlnet.gov/expapi/activities/profile",
}

TOPICS = [
    "Data protection basics", "Information security awareness", "Records management",
    "Accessible documents", "Public procurement", "Anti-corruption", "Fire safety",
    "First aid at work", "Customer service for citizens", "Plain language", "Project management",
    "Budget planning", "Diversity and inclusion", "Remote work", "Occupational health",
    "Emergency preparedness", "Freedom of information", "E-government services",
    "Digital signatures", "Cloud services", "Phishing and social engineering", "Ethics in office",
    "Conflict resolution", "Leading teams", "Meeting facilitation", "Change management",
    "Sustainable procurement", "Energy saving", "Open data", "Archiving", "Crisis communication",
    "Social media guidelines", "Intercultural competence", "Time management", "Negotiation",
    "Onboarding", "Workplace safety", "Quality management", "Process mapping", "Agile methods",
]
MODULE_TITLES = ["Introduction", "Key concepts", "Rules and duties", "Practice", "Case studies",
                 "Summary"]
FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hannes", "Ida", "Jonas",
         "Karla", "Lukas", "Mia", "Noah", "Olga", "Paul", "Rosa", "Samir", "Tara", "Umut",
         "Vera", "Wim", "Yara", "Zoe"]
LAST = ["Achterberg", "Brandt", "Celik", "Dietrich", "Engel", "Fischer", "Gruber", "Hoffmann",
        "Ilic", "Jansen", "Keller", "Lorenz", "Meyer", "Nowak", "Ortmann", "Petrov", "Quast",
        "Richter", "Schulz", "Tran", "Ulrich", "Vogel", "Wagner", "Yilmaz", "Zimmermann"]
AGENCIES = ["health", "finance", "interior", "education", "environment", "justice", "transport",
            "labour"]
INTERACTIONS = ["choice", "true-false", "fill-in", "numeric", "likert", "matching", "sequencing"]
COMMENTS = ["Well done, see the summary module for the details.",
            "Please review the rules and duties module before the next attempt.",
            "Good progress. The case studies will help with question 3.",
            "Congratulations on finishing this quiz."]
BROWSERS = ["Firefox 128", "Chrome 126", "Edge 126", "Safari 17"]


def mix(x):
    """splitmix64 finaliser: a cheap, well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def _uuid_text(hi, lo):
    hi = (hi & ~0xF000) | 0x4000                      # version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFF) | 0x8000000000000000  # RFC 4122 variant
    h = "%016x%016x" % (hi, lo)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def context_activity_ids(cid, mid, item):
    """contextActivities ids of a statement about `item` of module `mid` ('' = the module)."""
    if not item:
        return {"parent": [cid], "category": [PROFILE_ID]}
    if item.startswith("quiz/q"):
        return {"parent": [mid + "/quiz"], "grouping": [cid, mid], "category": [PROFILE_ID]}
    if item == "video":
        return {"parent": [mid], "grouping": [cid], "category": [PROFILE_ID, VIDEO_PROFILE]}
    return {"parent": [mid], "grouping": [cid], "category": [PROFILE_ID]}


Plan = namedtuple("Plan", "index kind learner instructor course module item verb object_id "
                          "registration related ref_target timestamp_s session")
# kind: 'statement' (object is an Activity) or 'ref' (object is a StatementRef to ref_target)
# related: the activity ids related_activities=true matches (object + all contextActivities)


class Generator:
    """All statements of one seed."""

    def __init__(self, seed=1):
        self.seed = seed
        self.key = mix(seed * 0x1000193 + 17)
        self.id_mask = mix(self.key ^ 0xA5A5) & MASK62
        self.activities = self._catalogue()

    # --- ids --------------------------------------------------------------------------

    def statement_id(self, i):
        return _uuid_text(mix(self.key ^ (i * 0x9E3779B1 + 1)), (i ^ self.id_mask) & MASK62)

    def index_of(self, statement_id):
        """The statement number encoded in an id this generator made, else None."""
        text = statement_id.lower()
        if len(text) != 36:
            return None
        try:
            lo = int(text[19:23] + text[24:], 16)
        except ValueError:
            return None
        i = (lo & MASK62) ^ self.id_mask
        return i if self.statement_id(i) == text else None

    def registration(self, learner, course):
        h = mix(self.key ^ (learner * 1000003 + course * 7919 + 0x5EED))
        return _uuid_text(h, mix(h))

    # --- population --------------------------------------------------------------------

    def learner_agent(self, n):
        h = mix(self.key ^ (n + 0x1EA2))
        name = "%s %s" % (FIRST[h % len(FIRST)], LAST[(h >> 8) % len(LAST)])
        if h % 10 < 7:
            agency = AGENCIES[(h >> 16) % len(AGENCIES)]
            return {"objectType": "Agent", "name": name,
                    "mbox": "mailto:learner%06d@%s.example.gov" % (n, agency)}
        return {"objectType": "Agent", "name": name,
                "account": {"homePage": SSO, "name": "u%07d" % n}}

    def instructor_agent(self, n):
        return {"objectType": "Agent", "name": "Instructor %s" % LAST[n % len(LAST)],
                "mbox": "mailto:instructor%02d@academy.example.gov" % n}

    @staticmethod
    def agent_ifi(agent):
        """The agent reduced to its identifier: the `agent` query parameter."""
        return {k: v for k, v in agent.items() if k in ("mbox", "account")}

    def _catalogue(self):
        """activity id -> definition, for every course, module, video, podcast, quiz, question."""
        acts = {}
        for c in range(N_COURSES):
            topic = TOPICS[c % len(TOPICS)]
            cid = "%s/courses/c%03d" % (SITE, c)
            acts[cid] = {"name": {"en-US": topic, "de-DE": topic + " (Kurs)"},
                         "description": {"en-US": "A micro-learning course on %s for public "
                                                   "servants." % topic.lower()},
                         "type": ACTIVITY_TYPES["course"], "moreInfo": cid + "/about"}
            for m in range(N_MODULES):
                mid = "%s/modules/m%d" % (cid, m)
                title = "%s: %s" % (topic, MODULE_TITLES[m % len(MODULE_TITLES)])
                acts[mid] = {"name": {"en-US": title},
                             "description": {"en-US": "Module %d of %s." % (m + 1, topic)},
                             "type": ACTIVITY_TYPES["module"]}
                acts[mid + "/video"] = {
                    "name": {"en-US": "Video: " + title},
                    "description": {"en-US": "A four-minute explainer video."},
                    "type": ACTIVITY_TYPES["video"]}
                acts[mid + "/podcast"] = {
                    "name": {"en-US": "Podcast: " + title},
                    "description": {"en-US": "An interview with a practitioner."},
                    "type": ACTIVITY_TYPES["podcast"]}
                acts[mid + "/quiz"] = {
                    "name": {"en-US": "Quiz: " + title},
                    "description": {"en-US": "Check your understanding: %d questions."
                                             % N_QUESTIONS},
                    "type": ACTIVITY_TYPES["quiz"]}
                for q in range(N_QUESTIONS):
                    qid = "%s/quiz/q%d" % (mid, q + 1)
                    acts[qid] = self._question(qid, title, q, (c * 31 + m * 7 + q) % len(INTERACTIONS))
        return acts

    @staticmethod
    def _question(qid, title, q, kind):
        interaction = INTERACTIONS[kind]
        d = {"name": {"en-US": "Question %d" % (q + 1)},
             "description": {"en-US": "%s, question %d." % (title, q + 1)},
             "type": ACTIVITY_TYPES["question"], "interactionType": interaction}
        if interaction == "choice":
            d["choices"] = [{"id": "opt%d" % k, "description": {"en-US": "Option %d" % k}}
                            for k in range(1, 5)]
            d["correctResponsesPattern"] = ["opt2"]
        elif interaction == "true-false":
            d["correctResponsesPattern"] = ["true"]
        elif interaction == "fill-in":
            d["correctResponsesPattern"] = ["{case_matters=false}data controller"]
        elif interaction == "numeric":
            d["correctResponsesPattern"] = ["30[:]90"]
        elif interaction == "likert":
            d["scale"] = [{"id": "likert_%d" % k, "description": {"en-US": label}}
                          for k, label in enumerate(["Disagree", "Neutral", "Agree"])]
            d["correctResponsesPattern"] = ["likert_2"]
        elif interaction == "matching":
            d["source"] = [{"id": "s%d" % k, "description": {"en-US": "Term %d" % k}} for k in (1, 2)]
            d["target"] = [{"id": "t%d" % k, "description": {"en-US": "Meaning %d" % k}} for k in (1, 2)]
            d["correctResponsesPattern"] = ["s1[.]t2[,]s2[.]t1"]
        elif interaction == "sequencing":
            d["choices"] = [{"id": "step%d" % k, "description": {"en-US": "Step %d" % k}}
                            for k in (1, 2, 3)]
            d["correctResponsesPattern"] = ["step1[,]step3[,]step2"]
        return d

    @staticmethod
    def _response(interaction, correct, h):
        if interaction == "choice":
            return "opt2" if correct else "opt%d" % (1 + (h % 2) * 2)
        if interaction == "true-false":
            return "true" if correct else "false"
        if interaction == "fill-in":
            return "data controller" if correct else "data processor"
        if interaction == "numeric":
            return str(30 + h % 61) if correct else str(91 + h % 50)
        if interaction == "likert":
            return "likert_2" if correct else "likert_%d" % (h % 2)
        if interaction == "matching":
            return "s1[.]t2[,]s2[.]t1" if correct else "s1[.]t1[,]s2[.]t2"
        return "step1[,]step3[,]step2" if correct else "step1[,]step2[,]step3"

    # --- plans -----------------------------------------------------------------------

    def _session(self, s):
        h = mix(self.key ^ (s * 0x632BE59BD9B4E019 + 3))
        learner = h % N_LEARNERS
        course = (h >> 20) % N_COURSES
        module = (h >> 28) % N_MODULES
        return h, learner, course, module

    def plan(self, i):
        s, k = divmod(i, SESSION_LENGTH)
        h, learner, course, module = self._session(s)
        cid = "%s/courses/c%03d" % (SITE, course)
        mid = "%s/modules/m%d" % (cid, module)
        registration = self.registration(learner, course)
        ts = BASE_EPOCH_S + s * SESSION_SPACING_S + k * 45 + (h >> 40) % 30
        passed = (h >> 36) % 4 != 0
        if k == 0:
            verb, obj = "launched", mid
        elif k == 1:
            verb, obj = "experienced", mid + "/video"
        elif k == 2:
            verb, obj = "progressed", mid + "/video"
        elif k == 3:
            verb, obj = "completed", mid + "/video"
        elif k == 4:
            verb, obj = "experienced", mid + "/podcast"
        elif k == 5:
            verb, obj = "attempted", mid + "/quiz"
        elif 6 <= k < 6 + N_QUESTIONS:
            verb, obj = "answered", "%s/quiz/q%d" % (mid, k - 5)
        elif k == 6 + N_QUESTIONS:
            verb, obj = ("passed" if passed else "failed"), mid + "/quiz"
        elif (h >> 44) % 8 == 0:
            instructor = (h >> 48) % N_INSTRUCTORS
            return Plan(i, "ref", learner, instructor, course, module, "", VERBS["commented"], None,
                        registration, frozenset(), i - 1, ts, s)
        else:
            verb, obj = "completed", mid
        item = obj[len(mid) + 1:]
        related = frozenset([obj]).union(*context_activity_ids(cid, mid, item).values())
        instructor = (h >> 48) % N_INSTRUCTORS if item.startswith("quiz") else None
        return Plan(i, "statement", learner, instructor, course, module, item, VERBS[verb], obj,
                    registration, related, None, ts, s)

    def key_groups(self, i):
        """The plans whose filter keys find statement i: its own, then its StatementRef chain (QRY-24)."""
        groups = []
        while i is not None:
            p = self.plan(i)
            groups.append(p)
            i = p.ref_target
        return groups

    def actor_of(self, p):
        """The actor identifier the agent filter matches in plan p (a learner or an instructor)."""
        return ("i", p.instructor) if p.kind == "ref" else ("l", p.learner)

    # --- statements --------------------------------------------------------------------

    @staticmethod
    def _timestamp(ts_s, ms):
        t = time.gmtime(ts_s)
        return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t[0], t[1], t[2], t[3], t[4], t[5], ms)

    @staticmethod
    def _duration(seconds, hundredths):
        m, s = divmod(seconds, 60)
        return "PT%dM%d.%02dS" % (m, s, hundredths) if m else "PT%d.%02dS" % (s, hundredths)

    @staticmethod
    def _context_activity(activity_id):
        if activity_id in (PROFILE_ID, VIDEO_PROFILE):
            return {"objectType": "Activity", "id": activity_id,
                    "definition": {"type": ACTIVITY_TYPES["profile"]}}
        return {"id": activity_id}

    def _activity(self, activity_id):
        return {"objectType": "Activity", "id": activity_id, "definition": self.activities[activity_id]}

    def statement(self, i):
        """Statement i as the client sends it (a fresh dict)."""
        p = self.plan(i)
        h = mix(self.key ^ (i * 0xD1B54A32D192ED03 + 11))
        verb_name = p.verb[len(ADL):]
        en, de = VERB_DISPLAY[verb_name]
        cid = "%s/courses/c%03d" % (SITE, p.course)
        mid = "%s/modules/m%d" % (cid, p.module)
        session_id = _uuid_text(mix(self.key ^ (p.session * 31 + 5)), mix(p.session))
        st = {
            "id": self.statement_id(i),
            "actor": (self.instructor_agent(p.instructor) if p.kind == "ref"
                      else self.learner_agent(p.learner)),
            "verb": {"id": p.verb, "display": {"en-US": en} if h % 3 else {"en-US": en, "de-DE": de}},
            "timestamp": self._timestamp(p.timestamp_s, h % 1000),
        }
        context = {"registration": p.registration}
        if p.kind == "ref":
            st["object"] = {"objectType": "StatementRef", "id": self.statement_id(p.ref_target)}
            st["result"] = {"response": COMMENTS[h % len(COMMENTS)]}
            context["language"] = "en-US"
            context["extensions"] = {SITE + "/xapi/ext/session": session_id}
            st["context"] = context
            return st
        st["object"] = self._activity(p.object_id)
        item = p.item
        context["contextActivities"] = {
            key: [self._context_activity(a) for a in ids]
            for key, ids in context_activity_ids(cid, mid, item).items()}
        context["platform"] = "Micro-learning Player 3.%d" % (h % 4)
        context["language"] = "en-US" if h % 5 else "de-DE"
        if p.instructor is not None:
            context["instructor"] = self.instructor_agent(p.instructor)
        context["extensions"] = {
            SITE + "/xapi/ext/session": session_id,
            SITE + "/xapi/ext/department": AGENCIES[p.learner % len(AGENCIES)],
            SITE + "/xapi/ext/browser": BROWSERS[(h >> 8) % len(BROWSERS)],
        }
        result = None
        if item == "video":
            length = 180 + (h >> 12) % 240
            progress = {"experienced": 0.1, "progressed": 0.55, "completed": 1.0}[verb_name]
            played = int(length * progress)
            result = {"duration": self._duration(played, (h >> 20) % 100),
                      "extensions": {VIDEO_PROFILE + "/extensions/progress": progress,
                                     VIDEO_PROFILE + "/extensions/time": round(played + 0.25, 2),
                                     VIDEO_PROFILE + "/extensions/length": length}}
            if verb_name == "completed":
                result["completion"] = True
        elif item == "podcast":
            result = {"duration": self._duration(60 + (h >> 12) % 900, (h >> 20) % 100)}
        elif item.startswith("quiz/q"):
            d = self.activities[p.object_id]
            correct = (h >> 24) % 10 < 7
            result = {"response": self._response(d["interactionType"], correct, h >> 32),
                      "success": correct,
                      "duration": self._duration(5 + (h >> 12) % 80, (h >> 20) % 100)}
        elif item == "quiz" and verb_name in ("passed", "failed"):
            raw = 3 + (h >> 12) % 2 if verb_name == "passed" else (h >> 12) % 3
            result = {"score": {"scaled": raw / N_QUESTIONS, "raw": raw, "min": 0,
                                "max": N_QUESTIONS},
                      "success": verb_name == "passed", "completion": True,
                      "duration": self._duration(60 + (h >> 14) % 400, (h >> 22) % 100)}
        elif verb_name == "completed":     # the module
            result = {"completion": True, "duration": self._duration(300 + (h >> 12) % 1500, 0)}
        if result is not None:
            st["result"] = result
        st["context"] = context
        return st

    def statement_json(self, i):
        return json.dumps(self.statement(i), separators=(",", ":"))

    def batch_body(self, start, stop):
        """The UTF-8 JSON array of statements start..stop-1."""
        return ("[" + ",".join(self.statement_json(i) for i in range(start, stop)) + "]").encode()


# --- checks of what the generator emits: the LRS's own validator, both versions -----------

CHECKED_VERSIONS = ("1.0.3", "2.0.0")


def problems_of(statement):
    """Why `statement` is not valid xAPI, per version (schemas.validate_statement), or []."""
    from schemas import XAPIValidationError, validate_statement
    problems = []
    for version in CHECKED_VERSIONS:
        try:
            validate_statement(statement, version)
        except XAPIValidationError as error:
            problems.append("%s: %s" % (version, error))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=2000, help="statements to generate and check")
    parser.add_argument("--show", type=int, default=-1, help="print statement number SHOW")
    args = parser.parse_args(argv)
    gen = Generator(args.seed)
    started = time.perf_counter()
    total = 0
    bad = 0
    verbs = {}
    refs = 0
    for i in range(args.count):
        st = gen.statement(i)
        text = json.dumps(st, separators=(",", ":"))
        total += len(text.encode())
        problems = problems_of(st)
        if problems:
            bad += 1
            if bad <= 5:
                print("statement %d: %s" % (i, "; ".join(problems)), file=sys.stderr)
        if gen.index_of(st["id"]) != i:
            bad += 1
            print("statement %d: id does not decode" % i, file=sys.stderr)
        if st != gen.statement(i):
            bad += 1
            print("statement %d: not deterministic" % i, file=sys.stderr)
        verbs[st["verb"]["id"]] = verbs.get(st["verb"]["id"], 0) + 1
        refs += st["object"].get("objectType") == "StatementRef"
    elapsed = time.perf_counter() - started
    if args.show >= 0:
        print(json.dumps(gen.statement(args.show), indent=2))
    print("%d statements, %.0f bytes each on average, %d StatementRefs, %d with problems, "
          "%.1f µs each to generate and check" % (args.count, total / args.count, refs, bad,
                                                  elapsed / args.count * 1e6))
    for verb, n in sorted(verbs.items(), key=lambda kv: -kv[1]):
        print("  %6d  %s" % (n, verb))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
