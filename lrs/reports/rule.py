"""What counts as completion, success and failure in a store's reports (issue 13), and where it is kept.

A store's rule is kept in the database (StorageBackend.set_store_setting under RULE_SETTING) as the
JSON of CompletionRule.as_dict(); a store without one uses DEFAULT_RULE:

  completion_verbs    a statement with one of these verbs is a completion
                      (default: completed, passed, mastered)
  success_verbs       ... is a success (default: passed, mastered)
  failure_verbs       ... is a failure (default: failed)
  result_completion   result.completion true is a completion too (default true)
  result_success      result.success true/false is a success/failure too (default true)

Voided statements never count: the store's queries never return them. The rule reads only the
verb id and result (of the statement's lrs.store.ReportFacts), which xAPI 1.0.3 and 2.0
statements share.
"""
import json
from dataclasses import dataclass

import schemas

from ..errors import BadRequest

ADL = "http://adlnet.gov/expapi/verbs/"
RULE_SETTING = "reports.completion_rule"
VERB_LISTS = ("completion_verbs", "success_verbs", "failure_verbs")
FLAGS = ("result_completion", "result_success")


@dataclass(frozen=True)
class CompletionRule:
    completion_verbs: frozenset = frozenset({ADL + "completed", ADL + "passed", ADL + "mastered"})
    success_verbs: frozenset = frozenset({ADL + "passed", ADL + "mastered"})
    failure_verbs: frozenset = frozenset({ADL + "failed"})
    result_completion: bool = True
    result_success: bool = True

    def completes(self, verb, completion):
        """True when a statement of this verb is a completion (`completion`: its result.completion is true)."""
        return verb in self.completion_verbs or (self.result_completion and completion)

    def outcome(self, verb, success):
        """True (success), False (failure) or None (the statement states no outcome); `success`: its
        result.success when a boolean, else None."""
        if verb in self.success_verbs:
            return True
        if verb in self.failure_verbs:
            return False
        if self.result_success and success is not None:
            return success
        return None

    def judge(self, verb, completion, success):
        """(completes, outcome) of a statement (reports judge millions of statements: kept per verb, completion
        and success, of which there are few)."""
        try:
            return self._judged[verb, completion, success]
        except KeyError:
            judged = self._judged[verb, completion, success] = (self.completes(verb, completion),
                                                                 self.outcome(verb, success))
            return judged
        except AttributeError:                  # the first judgement of this rule
            object.__setattr__(self, "_judged", {})
            return self.judge(verb, completion, success)

    def as_dict(self):
        view = {name: sorted(getattr(self, name)) for name in VERB_LISTS}
        view.update({name: getattr(self, name) for name in FLAGS})
        return view


DEFAULT_RULE = CompletionRule()


def parse_rule(fields, base=DEFAULT_RULE):
    """A CompletionRule from a dict of the fields to change (the others are base's); BadRequest
    naming the field on anything else."""
    if not isinstance(fields, dict):
        raise BadRequest("a completion rule is a JSON object with %s" % ", ".join(VERB_LISTS + FLAGS))
    unknown = sorted(set(fields) - set(VERB_LISTS + FLAGS))
    if unknown:
        raise BadRequest("%s: unknown field of a completion rule (known: %s)"
                         % (unknown[0], ", ".join(VERB_LISTS + FLAGS)))
    values = base.as_dict()
    for name in VERB_LISTS:
        if name in fields:
            verbs = fields[name]
            if not isinstance(verbs, list) or not all(isinstance(verb, str) for verb in verbs):
                raise BadRequest("%s: a list of verb IRIs" % name)
            for verb in verbs:
                try:
                    schemas.validate_iri(verb, name)
                except schemas.XAPIValidationError:
                    raise BadRequest("%s: %r is not an IRI" % (name, verb)) from None
            values[name] = verbs
    for name in FLAGS:
        if name in fields:
            if not isinstance(fields[name], bool):
                raise BadRequest("%s: true or false" % name)
            values[name] = fields[name]
    return CompletionRule(**{name: frozenset(values[name]) for name in VERB_LISTS},
                          **{name: values[name] for name in FLAGS})


def load_rule(storage, store_id):
    """The store's CompletionRule (DEFAULT_RULE when none was set)."""
    text = storage.get_store_setting(store_id, RULE_SETTING)
    return parse_rule(json.loads(text)) if text else DEFAULT_RULE


def save_rule(storage, store_id, rule, act=None):
    """Keep the store's rule; None goes back to DEFAULT_RULE. `act` (a chain.Act) is chained in the
    store's audit chain in the same transaction."""
    storage.set_store_setting(store_id, RULE_SETTING,
                              None if rule is None else json.dumps(rule.as_dict(), sort_keys=True), act=act)
