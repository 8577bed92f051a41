"""Test fixture: Table 4 of the World Bank review (Social Assistance Program and Public
Expenditure Review 7: JSLU, JSPACA, PKSA, February 2012, page 27 — ../shared/seeds/), as
printed:

    Table 4: Spending Efficiency Indicators, 2008-2010
                       Severely disabled cash transfer (JSPACA)  Abandoned Elderly c.t. (JSLU)
                              2008       2009       2010            2008       2009       2010
    Unit cost (Total spending/No. beneficiaries, Rp)
                         4,091,930  4,050,100  4,004,475       4,268,472  4,123,563  3,913,598
    Administrative costs per beneficiary (Non-benefits/No. beneficiaries, Rp)
                           491,930    450,100    366,098         668,472    523,563    313,598
    in US$***                   49         45         37              67         52         31
    Administrative overhead ratio (Non-benefits/Total spending)
                               12%        11%         9%             16%        13%         8%
    Cost of delivering benefits ratio (Non-benefits/ Benefits)
                               14%        13%        10%             19%        15%         9%
    Civil servants per 10,000 beneficiaries      9   9                           14  14
    Memo items:
    No. of beneficiaries    10,000     17,000     17,000           5,000     10,000     10,000
    Number of civil servants              16     16                           14     14
    Value of annual UCT (Rp) 3,600,000 (every year, both programs)
    Total spending (Rp bn)*     41         69         68              21         41         39
    o/w Benefits                36         61         61              18         36         36
    o/w Non-benefits           4.9        7.7        6.2             3.3        5.2        3.1
    o/w Civil servant salaries 0.6        0.7        0.5             0.6        0.6        0.4
    o/w Admin/other            1.6        3.3        2.7             0.5        0.2        0.1
    o/w Targeting****          1.1        1.8        1.5             1.4        2.9        1.7
    o/w Follow-up              0.0        0.0        0.0             0.0        0.1        0.0
    o/w Socialization          1.0        0.9        0.7             0.5        0.3        0.2
    o/w Training               0.0        0.0        0.0             0.0        0.0        0.0
    o/w Evaluation (M&E)       0.5        1.0        0.8             0.4        1.2        0.7
    (**Includes some minor non-UCT activities. ****Includes estimates of social worker
    honorarium under deconcentration budget. Civil servants are given for 2009 and 2010.)

From the printed figures to whole rupiah (the spending file the tests import):
- total spending = unit cost × beneficiaries and non-benefits = administrative cost per
  beneficiary × beneficiaries (the table's per-beneficiary figures are the precise ones; the
  Rp bn rows are rounded): benefits = total − non-benefits (exactly 3,600,000 × beneficiaries
  in five of the six years; JSPACA 2010 is 61,852,409,000 — "minor non-UCT activities");
- the "o/w" categories as printed in Rp bn (0.6 → 600,000,000), except "Admin/other", which
  takes what the printed categories leave of the non-benefits (its printed figure ± rounding;
  JSPACA 2008: 1.72 for a printed 1.6, because the printed 4.9 is itself rounded);
- targeting on the community level (deconcentration funds), everything else central; all APBN.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

YEARS = (2008, 2009, 2010)
BN = 1_000_000_000
TENTH = BN // 10

# program → year → (unit cost, admin cost per beneficiary, beneficiaries, civil servants)
PUBLISHED = {
    "jspaca": {
        2008: (4_091_930, 491_930, 10_000, None),
        2009: (4_050_100, 450_100, 17_000, 16),
        2010: (4_004_475, 366_098, 17_000, 16),
    },
    "jslu": {
        2008: (4_268_472, 668_472, 5_000, None),
        2009: (4_123_563, 523_563, 10_000, 14),
        2010: (3_913_598, 313_598, 10_000, 14),
    },
}
# the published ratios, whole percent: (administrative overhead, cost of delivering benefits)
PUBLISHED_RATIOS = {
    "jspaca": {2008: (12, 14), 2009: (11, 13), 2010: (9, 10)},
    "jslu": {2008: (16, 19), 2009: (13, 15), 2010: (8, 9)},
}
# "o/w" rows in tenths of Rp bn: salaries, targeting, follow-up, socialisation, training, M&E
# (administration = the rest of the non-benefits)
OF_WHICH = {
    "jspaca": {
        2008: (6, 11, 0, 10, 0, 5),
        2009: (7, 18, 0, 9, 0, 10),
        2010: (5, 15, 0, 7, 0, 8),
    },
    "jslu": {
        2008: (6, 14, 0, 5, 0, 4),
        2009: (6, 29, 1, 3, 0, 12),
        2010: (4, 17, 0, 2, 0, 7),
    },
}
CATEGORIES = ("salaries", "targeting", "follow_up", "socialisation", "training", "monitoring")
# an illustrative price index (not from the review): 2008 = 100, +8 % then +7 %
PRICE_INDEX = {2008: Decimal("100.000"), 2009: Decimal("108.000"), 2010: Decimal("115.560")}


def amounts(program: str, year: int) -> dict[str, int]:
    """Realised rupiah per category (benefits and every non-benefit category)."""
    unit, admin, people, _servants = PUBLISHED[program][year]
    total, non_benefits = unit * people, admin * people
    parts = dict(zip(CATEGORIES, (t * TENTH for t in OF_WHICH[program][year]), strict=True))
    parts["administration"] = non_benefits - sum(parts.values())
    return {"benefits": total - non_benefits, **parts}


def write_spending_file(path: Path) -> Path:
    """The spending file of Table 4 (budget = realised: the table gives no budget)."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["program", "year", "level", "category", "source", "budget", "realised"]
            + ["beneficiaries", "civil_servants"]
        )
        for program, years in PUBLISHED.items():
            for year in YEARS:
                _unit, _admin, people, servants = years[year]
                for index, (category, rupiah) in enumerate(amounts(program, year).items()):
                    level = "community" if category == "targeting" else "central"
                    facts = [people, servants or ""] if index == 0 else ["", ""]
                    writer.writerow(
                        [program, year, level, category, "APBN", rupiah, rupiah, *facts]
                    )
    return path
