"""The reference pages agree with the chapters: book/notation.md and book/glossary.md.

Fast: the tests read the notebooks and the Markdown pages as text; nothing is
built or executed.
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

# The chapters in reading order, numbered as the table of contents numbers them
# (Part II continues the numbering of Part I).
CHAPTERS = [
    "perceptrons", "loss-functions", "gradient-descent", "backpropagation",
    "optimizers", "regularization", "normalization", "cnn",
    "rnn", "attention", "generative",
]
# Every notebook page of the book, in reading order.
PAGES = ["getting-started", "explorers", *CHAPTERS]
TITLES = {
    "getting-started": "Getting started", "explorers": "Explorers",
    **{page: f"Chapter {n}" for n, page in enumerate(CHAPTERS, start=1)},
}


# --- Reading the chapters ---------------------------------------------------

def markdown_cells(page: str) -> list[tuple[int, str]]:
    """(cell index, source) of every markdown cell of book/<page>.ipynb."""
    nb = json.loads((BOOK / f"{page}.ipynb").read_text(encoding="utf-8"))
    return [(i, "".join(cell["source"])) for i, cell in enumerate(nb["cells"])
            if cell["cell_type"] == "markdown"]


def strip_code(markdown: str) -> str:
    """The Markdown without fenced code blocks and inline code spans."""
    markdown = re.sub(r"^```[^\n]*\n.*?^```[ \t]*$", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", markdown)


# $$...$$ (display), or $...$ (inline; may wrap onto the next line of the
# paragraph, never across a blank line). amsmath environments in this book
# always sit inside $$...$$.
MATH = re.compile(r"\$\$(.+?)\$\$|\$((?:[^$\n]|\n(?!\s*\n))+?)\$", re.S)


def math_segments(markdown: str) -> list[str]:
    """The TeX of every math span in a piece of MyST Markdown."""
    return [display or inline for display, inline in MATH.findall(strip_code(markdown))]


# --- Tokenizing TeX ---------------------------------------------------------

# Macros that only lay out or format maths and mean nothing by themselves.
LAYOUT_MACROS = {
    r"\frac", r"\dfrac", r"\tfrac", r"\left", r"\right", r"\big", r"\Big",
    r"\bigl", r"\bigr", r"\quad", r"\qquad", r"\textstyle", r"\underbrace",
}
# Macros whose {argument} is a word; see `tex_symbols`.
NAME_MACROS = r"text|textrm|mathrm|operatorname"
ENVIRONMENT = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}")
NAMED = re.compile(r"\\(" + NAME_MACROS + r")\s*\{([^{}]*)\}")
FONT = re.compile(r"\\(mathbb|mathcal|mathbf)\s*(?:\{\s*([A-Za-z])\s*\}|([A-Za-z]))")


def tex_symbols(tex: str, *, text_names: bool = False) -> set[str]:
    r"""The symbols in a piece of TeX, as a set of tokens.

    Tokenizing, in this order:

    - ``\begin{...}`` / ``\end{...}`` are dropped with their environment name.
    - ``\operatorname{step}`` and ``\mathrm{MSE}`` are named functions and
      quantities: the token is ``name:step``. ``\text{...}`` holds prose in
      the chapters ("if", "otherwise", "apple price"), so its words count only
      when ``text_names`` is true (on the notation page, where
      ``\text{ReLU}`` may name what a chapter wrote as
      ``\operatorname{ReLU}``).
    - ``\mathbb E`` and ``\mathcal N`` are symbols of their own
      (``\mathbb{E}``); ``\mathbf w`` gives ``\mathbf`` (the bold
      convention) and the letter ``w``.
    - Every other macro (``\alpha``, ``\nabla``, ``\odot``, ``\log``,
      ``\hat``...) is a token, except the short list ``LAYOUT_MACROS``.
    - What remains is cut into single Latin letters. TeX writes a product
      by juxtaposition (``Wx``, ``dW``, ``X_{nd}``), so every letter is its
      own variable; a subscript or superscript letter is an index and must
      be explained too. Digits and punctuation are not symbols.
    """
    tex = ENVIRONMENT.sub(" ", tex)
    tokens = set()
    for macro, name in NAMED.findall(tex):
        if name.strip() and (macro not in ("text", "textrm") or text_names):
            tokens.add("name:" + name.strip())
    tex = NAMED.sub(" ", tex)
    for match in FONT.finditer(tex):
        font, letter = match.group(1), match.group(2) or match.group(3)
        tokens |= {r"\mathbf", letter} if font == "mathbf" else {f"\\{font}{{{letter}}}"}
    tex = FONT.sub(" ", tex)
    tokens |= set(re.findall(r"\\[A-Za-z]+", tex)) - LAYOUT_MACROS
    tokens |= set(re.findall(r"[A-Za-z]", re.sub(r"\\[A-Za-z]+", " ", tex)))
    return tokens


def test_tokenizer_on_examples():
    assert tex_symbols(r"\sigma(z) = \frac{1}{1 + e^{-z}}") == {r"\sigma", "z", "e"}
    assert tex_symbols(r"dW = X^\top dY") == {"d", "W", "X", r"\top", "Y"}
    assert tex_symbols(r"W_{dm} \odot \hat x") == {"W", "d", "m", r"\odot", r"\hat", "x"}
    assert tex_symbols(r"\mathbb E[y_i] + \lVert \mathbf w_j \rVert_2") == {
        r"\mathbb{E}", "y", "i", r"\lVert", r"\mathbf", "w", "j", r"\rVert"}
    assert tex_symbols(r"\operatorname{step}(z) \text{ if } z > 0") == {"name:step", "z"}
    assert tex_symbols(r"\text{ReLU}(x)", text_names=True) == {"name:ReLU", "x"}
    assert tex_symbols(r"\begin{aligned} v &\leftarrow \alpha v \end{aligned}") == {
        "v", r"\leftarrow", r"\alpha"}


def book_symbols() -> dict[str, dict[str, list[int]]]:
    """{token: {page: [cells]}} for every symbol in the notebooks' markdown maths."""
    uses: dict[str, dict[str, list[int]]] = {}
    for page in PAGES:
        for cell, source in markdown_cells(page):
            for tex in math_segments(source):
                for token in tex_symbols(tex):
                    cells = uses.setdefault(token, {}).setdefault(page, [])
                    if cell not in cells:
                        cells.append(cell)
    return uses


def test_the_chapters_have_maths_to_check():
    uses = book_symbols()
    assert len(uses) > 80
    for token in [r"\eta", r"\nabla", r"\partial", r"\odot", r"\sigma", "W", "x"]:
        assert token in uses, token


def test_every_maths_environment_is_inside_dollars():
    """`math_segments` reads only $...$ and $$...$$; a bare amsmath block would be missed."""
    for page in PAGES:
        for cell, source in markdown_cells(page):
            outside = MATH.sub(" ", strip_code(source))
            assert "\\begin{" not in outside, f"{page}.ipynb cell {cell}: maths outside $$...$$"


# --- The notation page -------------------------------------------------------

NOTATION = BOOK / "notation.md"
CHAPTER_LINK = re.compile(r"\]\(([\w-]+)\.ipynb(?:#[\w-]*)?\)")


def notation_rows() -> list[tuple[str, str, list[str]]]:
    """(line, symbol cell, linked pages) for every row of the notation tables."""
    rows = []
    for line in NOTATION.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|") or re.fullmatch(r"[|\s:-]+", line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "Symbol":  # a table's header
            continue
        rows.append((line, cells[0], CHAPTER_LINK.findall(cells[-1])))
    return rows


def row_symbols(symbol_cell: str) -> set[str]:
    return set().union(*[tex_symbols(tex, text_names=True) for tex in math_segments(symbol_cell)])


def test_notation_page_has_tables_of_symbols():
    rows = notation_rows()
    assert len(rows) > 100
    for line, symbol_cell, pages in rows:
        assert math_segments(symbol_cell), f"no symbol in maths in the row:\n{line}"
        assert pages, f"the row does not link the chapter that uses the symbol:\n{line}"
        for page in pages:
            assert page in PAGES, f"{page}.ipynb is not a page of the book:\n{line}"


def test_every_symbol_of_the_chapters_is_on_the_notation_page():
    listed = set().union(*[row_symbols(symbol) for _, symbol, _ in notation_rows()])
    page_text = set().union(*[tex_symbols(tex, text_names=True)
                              for tex in math_segments(NOTATION.read_text(encoding="utf-8"))])
    missing = []
    for token, pages in sorted(book_symbols().items()):
        if token not in listed:
            first_page, cells = next(iter(pages.items()))
            where = "" if token in page_text else " (not even in the page's text)"
            missing.append(f"{token!r}, used in {TITLES[first_page]} ({first_page}.ipynb, "
                           f"cells {cells}){where}")
    assert not missing, ("symbols the chapters use but no row of notation.md lists:\n"
                         + "\n".join(missing))


def test_each_row_links_chapters_that_use_its_symbols():
    """A row's symbols must occur in the chapters it links, and each linked chapter uses one.

    Symbols that no chapter uses (a helper such as the absolute value bars
    written ``\\lvert z \\rvert`` on the page) are not checked.
    """
    uses = book_symbols()
    problems = []
    for line, symbol_cell, pages in notation_rows():
        symbols = row_symbols(symbol_cell) & uses.keys()
        if not symbols:
            continue
        for token in symbols:
            if not any(page in uses[token] for page in pages):
                problems.append(f"{token!r} is not used in {pages}:\n  {line}")
        for page in pages:
            if not any(page in uses[token] for token in symbols):
                problems.append(f"{page} uses none of {sorted(symbols)}:\n  {line}")
    assert not problems, "\n".join(problems)


# --- The glossary -------------------------------------------------------------

GLOSSARY = BOOK / "glossary.md"

# Glossary entries that no chapter links with a {term} role, and why.
NOT_LINKED_FROM_A_CHAPTER: dict[str, str] = {}


def glossary_block() -> tuple[list[str], str]:
    """(option lines, body) of the page's one ```{glossary} directive."""
    text = GLOSSARY.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\{glossary\}[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.S | re.M)
    assert len(blocks) == 1, "glossary.md must hold exactly one glossary directive"
    lines = blocks[0].splitlines()
    options = [line for line in lines if line.startswith(":")]
    return options, "\n".join(line for line in lines if not line.startswith(":"))


def glossary_entries() -> list[tuple[list[str], str]]:
    """([terms], definition) per entry: unindented lines are terms, indented ones the definition."""
    entries: list[tuple[list[str], list[str]]] = []
    _, body = glossary_block()
    for line in body.splitlines():
        if not line.strip():
            if entries:
                entries[-1][1].append("")
        elif not line[0].isspace():
            if entries and not "".join(entries[-1][1]).strip():
                entries[-1][0].append(line.strip())  # another term of the same entry
            else:
                entries.append(([line.strip()], []))
        else:
            assert entries, f"definition before any term: {line!r}"
            entries[-1][1].append(line.strip())
    return [(terms, "\n".join(definition).strip()) for terms, definition in entries]


def sort_key(term: str) -> str:
    # Sphinx's :sorted: option compares NFD-normalized lowercase text.
    return unicodedata.normalize("NFD", term.lower())


def test_glossary_is_sorted():
    options, _ = glossary_block()
    assert ":sorted:" in options
    first_terms = [terms[0] for terms, _ in glossary_entries()]
    assert len(first_terms) >= 35
    assert first_terms == sorted(first_terms, key=sort_key), (
        "glossary entries out of order: "
        + ", ".join(f"{a!r} > {b!r}" for a, b in zip(first_terms, first_terms[1:])
                    if sort_key(a) > sort_key(b)))


def test_glossary_terms_are_unique():
    seen = {}
    for terms, _ in glossary_entries():
        for term in terms:
            assert term.lower() not in seen, f"{term!r} is defined twice"
            seen[term.lower()] = term


def test_every_glossary_term_is_defined_in_plain_sentences():
    """One to three sentences of definition, then one saying where the book teaches it."""
    for terms, definition in glossary_entries():
        prose = re.sub(r"\{\w+\}`([^`<]*?)\s*(?:<[^`]*>)?`", r"\1", definition)  # a role: its text
        prose = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", prose)  # a link: its text
        words = re.findall(r"[A-Za-z][\w'-]*", prose)
        assert len(words) >= 12, f"{terms[0]!r}: the definition is too short: {definition!r}"
        sentences = re.split(r"(?<=[.!?])\s+", definition.strip())
        assert 2 <= len(sentences) <= 4, (
            f"{terms[0]!r}: one to three sentences, then where the book teaches it; "
            f"found {len(sentences)} sentences")
        assert CHAPTER_LINK.search(sentences[-1]), (
            f"{terms[0]!r}: the last sentence must link the chapter that teaches the term")
        assert not CHAPTER_LINK.search(" ".join(sentences[:-1])), (
            f"{terms[0]!r}: chapter links belong in the last sentence")


TERM_ROLE = re.compile(r"\{term\}`([^`]*)`")


def term_target(role_text: str) -> str:
    """The glossary term a role refers to: ``text <target>`` or ``text``."""
    explicit = re.fullmatch(r"(.*?)\s*<([^<>]+)>\s*", role_text, flags=re.S)
    return " ".join((explicit.group(2) if explicit else role_text).split())


def strip_code_blocks_only(markdown: str) -> str:
    return re.sub(r"^```[^\n]*\n.*?^```[ \t]*$", "", markdown, flags=re.S | re.M)


def chapter_term_roles() -> list[tuple[str, int, str]]:
    """(page, cell, target) of every {term} role in the notebooks' markdown."""
    roles = []
    for page in PAGES:
        for cell, source in markdown_cells(page):
            for role_text in TERM_ROLE.findall(strip_code_blocks_only(source)):
                roles.append((page, cell, term_target(role_text)))
    return roles


def test_every_term_role_in_the_chapters_is_defined():
    defined = {term.lower() for terms, _ in glossary_entries() for term in terms}
    unknown = [f"{page}.ipynb cell {cell}: {{term}}`{target}`"
               for page, cell, target in chapter_term_roles() if target.lower() not in defined]
    assert not unknown, "term roles without a glossary entry:\n" + "\n".join(unknown)


def test_each_term_is_linked_once_where_the_glossary_says_it_is_taught():
    entries = glossary_entries()
    entry_of = {term.lower(): (terms, definition) for terms, definition in entries
                for term in terms}
    seen: dict[str, str] = {}
    problems = []
    for page, cell, target in chapter_term_roles():
        where = f"{page}.ipynb cell {cell}"
        if target.lower() in seen:
            problems.append(f"{target!r} is linked twice: {seen[target.lower()]} and {where}")
        seen[target.lower()] = where
        if target.lower() in entry_of:
            terms, definition = entry_of[target.lower()]
            if page not in CHAPTER_LINK.findall(definition):
                problems.append(f"{terms[0]!r} is linked from {where}, but its entry "
                                f"does not link {page}.ipynb")
    assert not problems, "\n".join(problems)


def test_every_glossary_entry_is_linked_from_a_chapter():
    linked = {target.lower() for _, _, target in chapter_term_roles()}
    unlinked = [terms[0] for terms, _ in glossary_entries()
                if not {term.lower() for term in terms} & linked
                and terms[0] not in NOT_LINKED_FROM_A_CHAPTER]
    assert not unlinked, f"glossary entries no chapter links to: {unlinked}"
    stale = set(NOT_LINKED_FROM_A_CHAPTER) - {terms[0] for terms, _ in glossary_entries()}
    assert not stale, f"allowlisted entries that are not in the glossary: {stale}"


@pytest.mark.parametrize("page", ["notation", "glossary"])
def test_reference_pages_are_in_the_table_of_contents(page):
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    reference = toc[toc.index("caption: Reference"):]
    files = re.findall(r"file:\s*(\S+)", reference)
    assert f"book/{page}" in files
    assert files.index(f"book/{page}") < files.index("book/bibliography")


def test_the_chapters_are_those_of_the_table_of_contents_in_order():
    """CHAPTERS (and so the "Chapter n" names in messages) follows the numbered parts of _toc.yml."""
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    numbered = toc[toc.index("numbered: true"):toc.index("caption: Reference")]
    assert re.findall(r"file:\s*book/(\S+)", numbered) == CHAPTERS
