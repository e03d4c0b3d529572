"""What the browser tests share besides fixtures: paths, sizes, the files a researcher
uploads, screenshots, and a few in-page checks."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = BASE_DIR / "docs" / "screenshots"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass
class BrowserErrors:
    """Console errors (CSP violations are reported there) and uncaught page exceptions."""

    messages: list[str] = field(default_factory=list)

    def on_console(self, message) -> None:
        if message.type == "error":
            self.messages.append(f"console: {message.text} ({message.location.get('url')})")

    def on_page_error(self, error) -> None:
        self.messages.append(f"pageerror: {error}")

    def assert_none(self) -> None:
        assert not self.messages, "JavaScript errors in the browser:\n" + "\n".join(self.messages)


def screenshot(page, name: str, *, docs: str | None = None) -> None:
    """A full-page test artefact (git-ignored); with ``docs``, also the viewport as the
    README screenshot docs/screenshots/<docs>.png.

    The README screenshots are committed, so a test run writes them only when they are
    missing or ``UPDATE_SCREENSHOTS=1``: otherwise every run would change them (times,
    simulated values) and leave the checkout dirty.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    if docs:
        target = DOCS_SCREENSHOTS / f"{docs}.png"
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" or not target.exists():
            DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=target)


def page_overflows(page) -> bool:
    """True when the page body scrolls sideways (tables may scroll inside .table-wrap)."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


WIDE_ELEMENTS_JS = """
() => {
  const classes = (el) => (el.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean);
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + classes(el).map((c) => '.' + c).join('');
  return Array.from(document.body.querySelectorAll('*'))
    .filter((el) => !el.closest('.table-wrap'))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((el) => `${name(el)} in ${name(el.parentElement)}`
                 + ` right=${Math.round(el.getBoundingClientRect().right)}`);
}
"""


def wide_elements(page) -> list[str]:
    """The elements sticking out to the right of the window (outside .table-wrap)."""
    return page.evaluate(WIDE_ELEMENTS_JS)


UNLABELLED_FIELDS_JS = """
() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length)
                && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML.slice(0, 160))
"""


def unlabelled_fields(page) -> list[str]:
    """Visible-type form fields with neither a <label> nor an aria-label(ledby)."""
    return page.evaluate(UNLABELLED_FIELDS_JS)


# --- The corpus a researcher brings ---------------------------------------------------

PDF_PAGES = [
    "Trade agreement report. The agreement was signed in 1994 by 123 member states. "
    "The government of Canada supported the treaty and praised its dispute rules.",
    "Annex. Critics in 2001 opposed the new tariff schedule; 15 states abstained. "
    "The review concluded that the accord remained in force.",
]
DOCX_PARAGRAPHS = [
    "Interview with a trade negotiator, recorded in 2016.",
    "She said that 175 parties had signed the accord and that her country opposed it.",
]
CSV_ROWS = [
    ("r1", "Europe", "In 2007 the treaty was signed by 27 states; France supported it."),
    ("r2", "Asia", "The 2015 pact joined 12 countries and Japan supported it."),
    ("r3", "Americas", "A 1992 agreement between 3 states was opposed by unions."),
]
CSV_TEXT_COLUMN = "statement"


def make_pdf(path: Path) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in PDF_PAGES:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Negotiator interview", level=1)
    for paragraph in DOCX_PARAGRAPHS:
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def make_csv(path: Path) -> Path:
    """The text sits in the last column, so the default choice (the first) is wrong."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["ref", "region", CSV_TEXT_COLUMN])
    writer.writerows(CSV_ROWS)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
