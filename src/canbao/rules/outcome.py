"""Building a decision: the rules applied, their citations and those of the parameters read."""

from __future__ import annotations

from typing import Any

from canbao.domain.decision import Citation, Decision, Status
from canbao.policy import MissingParameter, Params


class Outcome:
    """Collects what one decision applied; ``decided``/``gap`` turn it into a Decision."""

    def __init__(self, kind: str, params: Params) -> None:
        self.kind, self.params = kind, params
        self.rules: list[str] = []
        self.extra: list[Citation] = []

    def apply(self, *rule_ids: str) -> None:
        for rule_id in rule_ids:
            if rule_id not in self.params.policy.rules:
                raise KeyError(f"rule {rule_id} is not in policy/data/rules.toml")
            if rule_id not in self.rules:
                self.rules.append(rule_id)

    def require(self, key: str) -> Any:
        """A parameter the decision cannot do without; if the documents do not give it, the
        dispatcher answers policy_gap with the rules applied so far."""
        try:
            return self.params.require(key)
        except MissingParameter as missing:
            missing.rules = tuple(self.rules)
            missing.citations = self.citations()
            raise

    def cite(self, doc: str, section: str) -> None:
        self.extra.append(Citation(doc, section))

    def citations(self) -> tuple[Citation, ...]:
        found: list[Citation] = []
        chain = self.params.policy.chain(self.params.region)
        for rule_id in self.rules:
            found.extend(self.params.policy.rules[rule_id].citations_for(chain))
        found.extend(self.params.citations())
        found.extend(self.extra)
        return tuple(dict.fromkeys(found))

    def decided(self, explanation: str, **answer: Any) -> Decision:
        return Decision(
            self.kind, Status.DECIDED, tuple(self.rules), self.citations(), explanation, answer
        )

    def gap(self, missing: str, explanation: str, **answer: Any) -> Decision:
        """The documents leave the point open: say what is missing, invent nothing."""
        return Decision(
            self.kind,
            Status.POLICY_GAP,
            tuple(self.rules),
            self.citations(),
            explanation,
            answer,
            gaps=(missing,),
        )
