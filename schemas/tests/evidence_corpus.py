"""A small corpus for the evidence check: documents in English, French, German and Chinese,
each with values a careful coder would accept (the quote says them) and, for each, a
planted mismatch (a wrong value with the same quote, or for yes/no a quote without
words). Used by the type tests, the answer tests and ``bench/evidence.py``.

Every quote is a verbatim passage of its document, on word boundaries, so the answer
tests locate it; what the check reads is the quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    key: str
    type: str
    value: Any  # correct: the quote says it
    quote: str
    wrong: Any = None  # a planted mismatch with the same quote...
    wrong_quote: str | None = None  # ...or a quote that cannot support the value
    allowed: tuple[str, ...] = ()
    synonyms: dict[str, list[str]] = field(default_factory=dict)

    def variable(self) -> dict:
        variable = {
            "key": self.key,
            "label": self.key.replace("_", " "),
            "type": self.type,
            "instructions": "",
            "allowed_values": list(self.allowed),
            "required": False,
        }
        if self.synonyms:
            variable["synonyms"] = self.synonyms
        return variable

    @property
    def planted(self) -> tuple[Any, str]:
        """(value, quote) of the planted mismatch."""
        return (self.value, self.wrong_quote) if self.wrong_quote else (self.wrong, self.quote)


@dataclass(frozen=True)
class Document:
    language: str
    text: str
    cases: list[Case]


STANCES = ("support", "oppose", "neutral", "mixed")

ENGLISH = Document(
    "en",
    "The Treaty of Lisbon was signed on 13 December 2007 by 27 member states. Turnout in "
    "the pilot region was 22.9 percent of the vote, up from 9 percent. The budget was "
    "1,234.5 million euros, of which 1 200 went to the Labour ministry's programme. The "
    "ministry supported the agreement; farmers' unions opposed it. The obligations are "
    "legally binding — the court said so. The secretariat sits in Geneva and employs 312 "
    "people. Sectors covered: agriculture, fisheries and energy. The European Union and "
    "Chile were observers. Twenty-seven delegations stayed until the end, and the centre "
    "opened in March 2008. Prices are given in yen: ￥１２３４ per tonne.",
    [
        Case("members", "integer", 27, "signed on 13 December 2007 by 27 member states", 28),
        Case("staff", "integer", 312, "employs 312 people", 321),
        Case("programme", "integer", 1200, "of which 1 200 went to the Labour ministry", 200),
        Case("delegations", "integer", 27, "Twenty-seven delegations stayed", 17),
        Case("price", "integer", 1234, "Prices are given in yen: ￥１２３４ per tonne", 1243),
        Case("turnout", "number", 22.9, "22.9 percent of the vote", 9),
        Case("budget", "number", 1234.5, "The budget was 1,234.5 million euros", 1324.5),
        Case("budget_eur", "number", 1234500000, "The budget was 1,234.5 million euros", 1234),
        Case("signed_on", "date", "2007-12-13", "signed on 13 December 2007", "2007-12-31"),
        Case("opened", "date", "2008-03", "the centre opened in March 2008", "2008-05"),
        Case("binding", "boolean", True, "The obligations are legally binding", wrong_quote="—"),
        Case("stance", "category", "support", "The ministry supported the agreement",
             "oppose", allowed=STANCES),
        Case("unions", "category", "oppose", "farmers' unions opposed it", "support",
             allowed=STANCES),
        Case("ministry", "category", "labor", "the Labour ministry's programme", "defense",
             allowed=("labor", "defense", "health")),
        Case("observer", "category", "EU", "The European Union and Chile were observers",
             "UN", allowed=("EU", "UN", "other")),
        Case("sectors", "multi_category", ["agriculture", "fisheries"],
             "Sectors covered: agriculture, fisheries and energy", ["health"],
             allowed=("agriculture", "fisheries", "energy", "health")),
        Case("city", "text", "Geneva", "The secretariat sits in Geneva", "Vienna"),
        Case("centre", "text", "the center", "the centre opened in March 2008", "the museum"),
        Case("observer_name", "text", "EU", "The European Union and Chile were observers",
             "UN"),
        Case("observers", "list", ["European Union", "Chile"],
             "The European Union and Chile were observers", ["Peru", "Japan"]),
    ],
)  # fmt: skip

FRENCH = Document(
    "fr",
    "Le traité a été signé à Genève le 5 mars 1994 par vingt-sept États — une première. "
    "Le taux de participation était de 12,5 % et le budget atteignait 1 200 millions "
    "d'euros. Le ministère de l'Économie a soutenu l'accord, les syndicats s'y sont "
    "opposés. Les secteurs concernés sont l'agriculture et la pêche. La Côte d'Ivoire et "
    "le Sénégal ont signé en premier. Les obligations sont juridiquement contraignantes.",
    [
        Case("parties", "integer", 27, "par vingt-sept États", 17),
        Case("turnout", "number", 12.5, "Le taux de participation était de 12,5 %", 15),
        Case("budget", "number", 1200, "le budget atteignait 1 200 millions d'euros", 2100),
        Case("signed_on", "date", "1994-03-05", "signé à Genève le 5 mars 1994", "1994-05-03"),
        Case("place", "text", "Genève", "signé à Genève", "Paris"),
        Case("place_en", "text", "Geneva", "signé à Genève", "Brussels"),
        Case("stance", "category", "favorable", "Le ministère de l'Économie a soutenu l'accord",
             "défavorable", allowed=("favorable", "défavorable", "neutre"),
             synonyms={"favorable": ["soutenu", "soutien"], "défavorable": ["opposés"]}),
        Case("ministry", "category", "économie", "Le ministère de l'Économie a soutenu",
             "santé", allowed=("économie", "santé", "autre")),
        Case("sectors", "multi_category", ["agriculture", "pêche"],
             "Les secteurs concernés sont l'agriculture et la pêche", ["énergie"],
             allowed=("agriculture", "pêche", "énergie")),
        Case("first", "list", ["Côte d'Ivoire", "Sénégal"],
             "La Côte d'Ivoire et le Sénégal ont signé en premier", ["Mali", "Niger"]),
        Case("binding", "boolean", True, "Les obligations sont juridiquement contraignantes",
             wrong_quote="—"),
    ],
)  # fmt: skip

GERMAN = Document(
    "de",
    "Der Vertrag wurde am 13. Dezember 2007 in Lissabon unterzeichnet. 1.200 Delegierte "
    "nahmen teil, die Kosten beliefen sich auf 2,5 Mio. Euro. Die Gewerkschaften lehnten "
    "das Abkommen ab – die Regierung sagte ihre Unterstützung zu. Das Abkommen betrifft "
    "Handel und Klima. Die Verpflichtungen sind rechtlich bindend. Der Sitz des "
    "Sekretariats ist München, die Zahl der Staaten siebenundzwanzig.",
    [
        Case("delegates", "integer", 1200, "1.200 Delegierte nahmen teil", 1300),
        Case("states", "integer", 27, "die Zahl der Staaten siebenundzwanzig", 26),
        Case("cost", "number", 2.5, "die Kosten beliefen sich auf 2,5 Mio. Euro", 25),
        Case("cost_eur", "number", 2500000, "die Kosten beliefen sich auf 2,5 Mio. Euro",
             250000),
        Case("signed_on", "date", "2007-12-13", "am 13. Dezember 2007 in Lissabon", "2008-12-13"),
        Case("seat", "text", "München", "Der Sitz des Sekretariats ist München", "Berlin"),
        Case("seat_plain", "text", "Munchen", "Der Sitz des Sekretariats ist München", "Bonn"),
        Case("stance", "category", "Unterstützung", "die Regierung sagte ihre Unterstützung zu",
             "Ablehnung", allowed=("Unterstützung", "Ablehnung", "neutral")),
        Case("areas", "multi_category", ["Handel", "Klima"],
             "Das Abkommen betrifft Handel und Klima", ["Gesundheit"],
             allowed=("Handel", "Klima", "Gesundheit")),
        Case("critics", "list", ["Gewerkschaften"], "Die Gewerkschaften lehnten das Abkommen ab",
             ["Arbeitgeber"]),
        Case("binding", "boolean", True, "Die Verpflichtungen sind rechtlich bindend",
             wrong_quote="–"),
    ],
)  # fmt: skip

CHINESE = Document(
    "zh",
    "2018年9月1日，二十七个成员国在北京签署了协议。投票率为22.9%，预算为1.2亿元。"
    "中国和日本支持该协议，农民协会反对。该义务具有法律约束力——法院如此认定。"
    "共有312名代表出席会议。",
    [
        Case("parties", "integer", 27, "二十七个成员国在北京签署了协议", 28),
        Case("delegates", "integer", 312, "共有312名代表出席会议", 321),
        Case("turnout", "number", 22.9, "投票率为22.9%", 9),
        Case("budget", "number", 120000000, "预算为1.2亿元", 12000000),
        Case("signed_on", "date", "2018-09-01", "2018年9月1日", "2018-01-09"),
        Case("city", "text", "北京", "在北京签署了协议", "上海"),
        Case("stance", "category", "支持", "中国和日本支持该协议", "反对",
             allowed=("支持", "反对", "中立")),
        Case("country_en", "category", "China", "中国和日本支持该协议", None,
             allowed=("China", "Japan", "Korea")),  # another script: not checked
        Case("countries", "multi_category", ["中国", "日本"], "中国和日本支持该协议", ["韩国"],
             allowed=("中国", "日本", "韩国")),
        Case("supporters", "list", ["中国", "日本"], "中国和日本支持该协议", ["美国"]),
        Case("binding", "boolean", True, "该义务具有法律约束力", wrong_quote="——"),
    ],
)  # fmt: skip

DOCUMENTS = [ENGLISH, FRENCH, GERMAN, CHINESE]


def planted_cases() -> list[tuple[Document, Case]]:
    """The cases with a planted mismatch (all but those whose check cannot apply)."""
    return [
        (document, case)
        for document in DOCUMENTS
        for case in document.cases
        if case.wrong is not None or case.wrong_quote
    ]


def all_cases() -> list[tuple[Document, Case]]:
    return [(document, case) for document in DOCUMENTS for case in document.cases]
