"""Building a decision: the rules applied, their citations and those of the parameters read, and
the points the documents leave open.

A rule module applies rule ids (``apply``), reads parameters (``require``, or ``params``), notes
each open point as it meets it (``gap_note``) and ends with ``decision``: ``decided`` when nothing
was left open, else ``policy_gap`` with every gap noted. ``decided`` and ``gap`` build a decision
in one step.
"""

from __future__ import annotations

from typing import Any

from canbao.domain.decision import Citation, Decision, Status
from canbao.policy import MissingParameter, Params


class Outcome:
    """Collects what one decision applied, cited and left open."""

    def __init__(self, kind: str, params: Params) -> None:
        self.kind, self.params = kind, params
        self.rules: list[str] = []
        self.extra: list[Citation] = []
        self.gaps: list[str] = []

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

    def cite_rule(self, rule_id: str) -> None:
        """Cite the sections of a rule (for this region) that the decision rests on without
        applying the rule."""
        self.extra.extend(self.params.policy.rule_citations(rule_id, self.params.region))

    def gap_note(self, missing: str) -> None:
        """An open point: the decision becomes policy_gap and names it among its gaps."""
        if missing not in self.gaps:
            self.gaps.append(missing)

    def citations(self) -> tuple[Citation, ...]:
        found: list[Citation] = []
        policy = self.params.policy
        chain = policy.chain(self.params.region)
        for rule_id in self.rules:
            found.extend(policy.rules[rule_id].citations_for(chain))
        found.extend(self.params.citations())
        found.extend(self.extra)
        return tuple(dict.fromkeys(found))

    def unconfirmed(self) -> list[str]:
        """The cited documents whose numbers or figures this project has not confirmed."""
        documents = self.params.policy.documents
        return list(
            dict.fromkeys(
                c.doc
                for c in self.citations()
                if c.doc in documents and not documents[c.doc].confirmed
            )
        )

    def decision(self, explanation: str, **answer: Any) -> Decision:
        """``decided``, or ``policy_gap`` with every gap noted."""
        status = Status.POLICY_GAP if self.gaps else Status.DECIDED
        return Decision(
            self.kind,
            status,
            tuple(self.rules),
            self.citations(),
            explanation,
            answer,
            gaps=tuple(self.gaps),
        )

    def decided(self, explanation: str, **answer: Any) -> Decision:
        return Decision(
            self.kind, Status.DECIDED, tuple(self.rules), self.citations(), explanation, answer
        )

    def gap(self, missing: str, explanation: str, **answer: Any) -> Decision:
        """The documents leave the point open: say what is missing, invent nothing."""
        self.gap_note(missing)
        return self.decision(explanation, **answer)
