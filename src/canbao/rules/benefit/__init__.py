"""When benefits start, how long a waiting period lasts, which years are due (rules B1–B15).

One module per rule family, each returning a ``Finding`` (or a ``Note`` added to any answer it
concerns); ``decide`` combines them in a fixed order (see ``decide``):

- ``facts``: the case's facts (``contract.cases`` builds them from JSON);
- ``newborns``: B3, B4, B5;
- ``hardship``: B12, hardship residents registered first;
- ``switching``: B6–B11, switching schemes, transfers and their waiting periods;
- ``mid_year``: B1, B2, and the employee scheme outside the special rules;
- ``waiting_2025``: B14, the waiting periods and continuity reward from 2025;
- ``permits``: B13, residence permits;
- ``students``: B15, college students' period.

Where the documents leave a point open the answer is ``policy_gap`` with every open point among
its ``gaps``; nothing is invented.
"""

from canbao.rules.benefit.decide import decide
from canbao.rules.benefit.facts import KIND, BenefitFacts, Coverage

__all__ = ["KIND", "BenefitFacts", "Coverage", "decide"]
