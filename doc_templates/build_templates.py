"""Build kesu's six default Word templates (默认文书模板) into this folder.

Regenerate them after changing this script with::

    .venv/bin/python doc_templates/build_templates.py

The output is byte-for-byte reproducible (fixed core properties and zip timestamps), so running the script twice
leaves git with nothing to commit. The files are docxtpl templates: ``{{ 变量 }}`` tags, ``{%tr … %}`` table-row loops
and ``{%p … %}`` conditional paragraphs, each tag written in one run so docxtpl sees it whole. The variables are
listed in ``doc_templates/README.md``; an administrator edits a copy in Word/WPS and uploads it as a new version.

Layout follows GB/T 9704: A4, margins 3.7 / 3.5 / 2.8 / 2.6 cm, 宋体 小四 body, 二号 bold title, the company name
above it and the document number right-aligned below it, a footer with the template version, the data check code and
real PAGE / NUMPAGES fields on every page. The heavy parts python-docx's default template carries (the 438 KB
``stylesWithEffects.xml``, about 150 unused table styles, the thumbnail, custom XML and numbering) are left out, since
every byte here is parsed again on each render.
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.section import Section
from docx.shared import Cm, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run
from lxml import etree

OUT_DIR = Path(__file__).resolve().parent

EAST_ASIAN_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_PT = 12  # 小四
TITLE_PT = 22  # 二号
COMPANY_PT = 16  # 三号
FOOTER_PT = 9
BODY_LINE_PT = 20  # fixed line pitch of body text
TABLE_LINE_PT = 16  # fixed line pitch inside tables
TEXT_WIDTH_CM = 15.6  # 21.0 - 2.8 - 2.6
LABEL_FILL = "F2F2F2"
CENTER, LEFT, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
DATE_BLANK = "　　　　年　　月　　日"
FIXED_TIME = datetime(2026, 1, 1)  # naive = UTC for python-docx
ZIP_TIME = (2026, 1, 1, 0, 0, 0)

# Styles kept from python-docx's default styles.xml; everything else (≈150 table and list styles) is dropped.
KEPT_STYLE_IDS = frozenset(
    {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid",
     "Header", "HeaderChar", "Footer", "FooterChar"}
)
# Relationships of the default template that no kesu document uses.
STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
DROPPED_PART_RELS = (STYLES_WITH_EFFECTS, RT.CUSTOM_XML, RT.NUMBERING)
DROPPED_PACKAGE_RELS = (RT.THUMBNAIL,)

SIMSUN_FONT_XML = (
    f'<w:font {nsdecls("w")} w:name="宋体"><w:altName w:val="SimSun"/>'
    '<w:panose1 w:val="02010600030101010101"/><w:charset w:val="86"/><w:family w:val="auto"/>'
    '<w:pitch w:val="variable"/><w:sig w:usb0="00000003" w:usb1="288F0000" w:usb2="00000016"'
    ' w:usb3="00000000" w:csb0="00040001" w:csb1="00000000"/></w:font>'
)

Container = DocxDocument | _Cell


# --- fonts and paragraphs -------------------------------------------------------------------------------------------

def set_fonts(run: Run, size: float = BODY_PT, bold: bool = False) -> None:
    """Give a run 宋体 for Chinese (``w:eastAsia``), Times New Roman for Latin, a size and a weight."""
    font = run.font
    font.name = LATIN_FONT
    font.size = Pt(size)
    font.bold = bold or None
    r_fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    r_fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    r_fonts.set(qn("w:cs"), LATIN_FONT)


def add_run(paragraph: Paragraph, text: str, size: float = BODY_PT, bold: bool = False) -> Run:
    """Append one run; a ``{{ … }}`` tag passed here stays whole for docxtpl."""
    run = paragraph.add_run(text)
    set_fonts(run, size, bold)
    return run


def set_spacing(paragraph: Paragraph, line_pt: float | None, before_pt: float = 0, after_pt: float = 0) -> None:
    """Fixed line pitch (``None`` = single), with space before and after."""
    fmt = paragraph.paragraph_format
    fmt.space_before = Pt(before_pt)
    fmt.space_after = Pt(after_pt)
    if line_pt is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing = Pt(line_pt)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def add_paragraph(container: Container, text: str = "", *, align: WD_ALIGN_PARAGRAPH | None = None,
                  indent: bool = False, bold: bool = False, size: float = BODY_PT,
                  before_pt: float = 0, after_pt: float = 0) -> Paragraph:
    """A body paragraph; ``indent`` gives the usual two-character first-line indent."""
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    set_spacing(paragraph, BODY_LINE_PT, before_pt, after_pt)
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(2 * size)
    if text:
        add_run(paragraph, text, size, bold)
    return paragraph


def body(doc: DocxDocument, text: str) -> Paragraph:
    """An indented body paragraph."""
    return add_paragraph(doc, text, indent=True)


def value_block(doc: DocxDocument, tag: str) -> Paragraph:
    """A paragraph holding one multi-line value: every line indented two characters, so line breaks align."""
    paragraph = add_paragraph(doc, tag)
    paragraph.paragraph_format.left_indent = Pt(2 * BODY_PT)
    return paragraph


def heading(doc: DocxDocument, text: str) -> Paragraph:
    """A section heading (一、… / D1 …): bold, kept with what follows."""
    paragraph = add_paragraph(doc, text, bold=True, before_pt=6)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def control(doc: DocxDocument, tag: str) -> Paragraph:
    """A paragraph holding only a ``{%p … %}`` tag; docxtpl removes it when rendering."""
    return add_paragraph(doc, tag)


def title_block(doc: DocxDocument, title: str, subtitle: str = "") -> None:
    """Company name, title and the document number right-aligned beneath it."""
    company = add_paragraph(doc, align=CENTER)
    set_spacing(company, None, after_pt=6)
    add_run(company, "{{ company_name }}", COMPANY_PT, bold=True)
    heading_paragraph = add_paragraph(doc, align=CENTER)
    set_spacing(heading_paragraph, None, after_pt=0 if subtitle else 6)
    add_run(heading_paragraph, title, TITLE_PT, bold=True)
    if subtitle:
        add_paragraph(doc, subtitle, align=CENTER, after_pt=6)
    add_paragraph(doc, "{{ doc_no }}", align=RIGHT, after_pt=6)


def seal_block(doc: DocxDocument, date_tag: str = "{{ doc_date }}") -> None:
    """Right-aligned ``company（盖章）`` and date, with room above for the seal."""
    seal = add_paragraph(doc, "{{ company_name }}（盖章）", align=RIGHT, before_pt=12)
    seal.paragraph_format.keep_with_next = True
    add_paragraph(doc, date_tag, align=RIGHT, after_pt=12)


# --- tables ---------------------------------------------------------------------------------------------------------

# Schema order of the children that follow w:tblBorders in w:tblPr, w:shd in w:tcPr and w:tblHeader in w:trPr.
TBL_BORDERS_SUCCESSORS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
TC_SHD_SUCCESSORS = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark")
TR_HEADER_SUCCESSORS = ("w:tblCellSpacing", "w:jc", "w:hidden", "w:ins", "w:del", "w:trPrChange")
LABEL_VALUE_WIDTHS = (2.6, 5.2, 2.6, 5.2)
WRITING_WIDTHS = (3.4, 5.0, 2.0, 5.2)


class Column(NamedTuple):
    """One column of a looped table: header text, the item's field, width in cm, alignment of the values."""

    header: str
    field: str
    width: float
    align: WD_ALIGN_PARAGRAPH = CENTER


def w_element(tag: str, **attrs: str) -> BaseOxmlElement:
    """A new ``w:`` element with ``w:`` attributes."""
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    return element


def set_borders(table: Table, visible: bool = True) -> None:
    """Explicit tblBorders, so lines show in Word, WPS and LibreOffice whatever the table style."""
    borders = w_element("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        if visible:
            borders.append(w_element(f"w:{edge}", val="single", sz="4", space="0", color="000000"))
        else:
            borders.append(w_element(f"w:{edge}", val="nil"))
    table._tbl.tblPr.insert_element_before(borders, *TBL_BORDERS_SUCCESSORS)


def new_table(container: Container, widths_cm: Sequence[float], rows: int = 1, borders: bool = True) -> Table:
    """A fixed-layout, centred table with explicit column widths and borders."""
    table = container.add_table(rows=rows, cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_w = table._tbl.tblPr.find(qn("w:tblW"))
    tbl_w.set(qn("w:w"), str(Cm(sum(widths_cm)).twips))
    tbl_w.set(qn("w:type"), "dxa")
    set_borders(table, borders)
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)
    return table


def add_row(table: Table, widths_cm: Sequence[float], height_cm: float = 0) -> list[_Cell]:
    """Append a row whose cells carry the column widths, optionally at least ``height_cm`` tall."""
    row = table.add_row()
    for cell, width in zip(row.cells, widths_cm):
        cell.width = Cm(width)
    if height_cm:
        row.height = Cm(height_cm)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
    return list(row.cells)


def shade(cell: _Cell, fill: str = LABEL_FILL) -> None:
    """Light grey background for label and header cells."""
    shd = w_element("w:shd", val="clear", color="auto", fill=fill)
    cell._tc.get_or_add_tcPr().insert_element_before(shd, *TC_SHD_SUCCESSORS)


def cell_text(cell: _Cell, text: str = "", *, bold: bool = False, label: bool = False,
              align: WD_ALIGN_PARAGRAPH | None = None) -> Paragraph:
    """Write ``text`` in one run into the cell's first paragraph; labels are shaded and centred."""
    paragraph = cell.paragraphs[0]
    set_spacing(paragraph, TABLE_LINE_PT, 2, 2)
    if label:
        shade(cell)
        align = CENTER if align is None else align
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    paragraph.alignment = align
    if text:
        add_run(paragraph, text, bold=bold)
    return paragraph


def label_value_table(doc: DocxDocument, rows: Sequence[tuple[str, ...]]) -> Table:
    """Case facts as ``label | value | label | value``; a two-item row spans its value across the width."""
    table = new_table(doc, LABEL_VALUE_WIDTHS, rows=0)
    for row in rows:
        cells = add_row(table, LABEL_VALUE_WIDTHS)
        if len(row) == 2:
            cells = [cells[0], cells[1].merge(cells[3])]
        for index, (cell, text) in enumerate(zip(cells, row)):
            cell_text(cell, text, label=index % 2 == 0)
    return table


def header_row(table: Table, headers: Sequence[str]) -> None:
    """Bold, shaded header cells, repeated at the top of each page."""
    row = table.rows[0]
    row._tr.get_or_add_trPr().insert_element_before(w_element("w:tblHeader"), *TR_HEADER_SUCCESSORS)
    for cell, text in zip(row.cells, headers):
        cell_text(cell, text, bold=True, label=True)


def tag_row(table: Table, widths_cm: Sequence[float], tag: str) -> None:
    """A ``{%tr … %}`` row: one merged cell holding only the tag; docxtpl removes the row."""
    cells = add_row(table, widths_cm)
    cell_text(cells[0].merge(cells[-1]), tag)


def loop_table(doc: DocxDocument, columns: Sequence[Column], loop: str, total: Sequence[str] = ()) -> Table:
    """Header, ``{%tr for item in loop %}``, a data row of ``{{ item.field }}``, ``{%tr endfor %}``, total row."""
    widths = [column.width for column in columns]
    table = new_table(doc, widths)
    header_row(table, [column.header for column in columns])
    tag_row(table, widths, f"{{%tr for item in {loop} %}}")
    for cell, column in zip(add_row(table, widths), columns):
        cell_text(cell, f"{{{{ item.{column.field} }}}}", align=column.align)
    tag_row(table, widths, "{%tr endfor %}")
    if total:
        for cell, text, column in zip(add_row(table, widths), total, columns):
            cell_text(cell, text, bold=True, align=column.align if text != "合计" else CENTER)
    return table


def keep_together(table: Table) -> Table:
    """Rows never split and the table stays on one page (each row's paragraphs keep with the next row)."""
    for row in table.rows:
        row._tr.get_or_add_trPr().insert_element_before(w_element("w:cantSplit"), "w:trHeight", "w:tblHeader",
                                                        *TR_HEADER_SUCCESSORS)
    for row in table.rows[:-1]:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
    return table


def writing_table(doc: DocxDocument, boxes: Sequence[tuple[str, str, float]], signer: str = "") -> Table:
    """Boxes to fill in by hand: ``label | text or empty space`` (height in cm), then ``signer | | 日期 | ``."""
    table = new_table(doc, WRITING_WIDTHS, rows=0)
    for label, text, height_cm in boxes:
        cells = add_row(table, WRITING_WIDTHS, height_cm)
        cell_text(cells[0], label, label=True)
        cell_text(cells[1].merge(cells[3]), text)
    if signer:
        cells = add_row(table, WRITING_WIDTHS, 1.0)
        cell_text(cells[0], signer, label=True)
        cell_text(cells[1])
        cell_text(cells[2], "日期", label=True)
        cell_text(cells[3], DATE_BLANK)
    return keep_together(table)


def approval_table(doc: DocxDocument, roles: Sequence[str]) -> Table:
    """Sign-off grid: a column per role (编制 / 审核 / 批准) with a row to sign and a row for the date."""
    role_width = (TEXT_WIDTH_CM - 2.8) / len(roles)
    widths = [2.8] + [role_width] * len(roles)
    table = new_table(doc, widths)
    header_row(table, ["", *roles])
    sign_cells = add_row(table, widths, 1.6)
    date_cells = add_row(table, widths)
    cell_text(sign_cells[0], "签字", label=True)
    cell_text(date_cells[0], "日期", label=True)
    for sign_cell, date_cell in zip(sign_cells[1:], date_cells[1:]):
        cell_text(sign_cell)
        cell_text(date_cell, "年　　月　　日", align=RIGHT)
    return keep_together(table)


def signature_columns(doc: DocxDocument, left: Sequence[str], right: Sequence[str]) -> Table:
    """Two parties' signature blocks side by side in a borderless table."""
    widths = (7.8, 7.8)
    table = new_table(doc, widths, rows=len(left), borders=False)
    for row, texts in zip(table.rows, zip(left, right)):
        for cell, text in zip(row.cells, texts):
            paragraph = cell.paragraphs[0]
            set_spacing(paragraph, BODY_LINE_PT, 6, 6)
            add_run(paragraph, text)
    return keep_together(table)


# --- document, styles, footer, parts --------------------------------------------------------------------------------

def set_page(section: Section) -> None:
    """A4 portrait with GB/T 9704 margins."""
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    section.header_distance, section.footer_distance = Cm(1.5), Cm(2.0)


def _explicit_fonts(r_pr: BaseOxmlElement) -> None:
    """Replace theme fonts in a style's ``rPr`` by explicit 宋体 / Times New Roman 小四, language zh-CN."""
    for child in list(r_pr):
        if child.tag in {qn("w:rFonts"), qn("w:sz"), qn("w:szCs"), qn("w:lang")}:
            r_pr.remove(child)
    r_pr.insert(0, w_element("w:rFonts", ascii=LATIN_FONT, hAnsi=LATIN_FONT, eastAsia=EAST_ASIAN_FONT,
                             cs=LATIN_FONT))
    r_pr.append(w_element("w:sz", val=str(BODY_PT * 2)))
    r_pr.append(w_element("w:szCs", val=str(BODY_PT * 2)))
    r_pr.append(w_element("w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA"))


def _style(doc: DocxDocument, style_id: str) -> BaseOxmlElement:
    """The ``w:style`` element with this id."""
    return doc.styles.element.find(f"{qn('w:style')}[@{qn('w:styleId')}='{style_id}']")


def prune_styles(doc: DocxDocument) -> None:
    """Keep only the styles kesu documents use."""
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        if style.get(qn("w:styleId")) not in KEPT_STYLE_IDS:
            styles.remove(style)


def set_style_fonts(doc: DocxDocument) -> None:
    """Document defaults, Normal and the table styles get explicit 宋体 小四; Normal gets the body line pitch."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    _explicit_fonts(defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")))
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    for style_id in ("Normal", "TableNormal", "TableGrid"):
        style = _style(doc, style_id)
        r_pr = style.find(qn("w:rPr"))
        if r_pr is None:
            r_pr = OxmlElement("w:rPr")
            style.insert_element_before(r_pr, "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr")
        _explicit_fonts(r_pr)
    normal = doc.styles["Normal"].paragraph_format
    normal.space_after = Pt(0)
    normal.line_spacing = Pt(BODY_LINE_PT)
    normal.line_spacing_rule = WD_LINE_SPACING.EXACTLY


def set_header_footer_tabs(doc: DocxDocument) -> None:
    """Centre and right tab stops of the Header and Footer styles at the A4 text width, not US Letter's."""
    for style_id in ("Header", "Footer"):
        centre, right = _style(doc, style_id).find(qn("w:pPr")).find(qn("w:tabs"))
        centre.set(qn("w:pos"), str(Cm(TEXT_WIDTH_CM / 2).twips))
        right.set(qn("w:pos"), str(Cm(TEXT_WIDTH_CM).twips))


def set_settings(doc: DocxDocument) -> None:
    """Chinese theme font language; no preview picture (the thumbnail part is dropped)."""
    settings = doc.settings.element
    settings.find(qn("w:themeFontLang")).set(qn("w:eastAsia"), "zh-CN")
    for preview in settings.findall(qn("w:savePreviewPicture")):
        settings.remove(preview)


def add_font_entry(doc: DocxDocument) -> None:
    """List 宋体 (alias SimSun) in the font table so Word and WPS substitute it correctly."""
    font_part = doc.part.part_related_by(RT.FONT_TABLE)
    fonts = parse_xml(font_part.blob)
    fonts.append(parse_xml(SIMSUN_FONT_XML))
    font_part._blob = etree.tostring(fonts, encoding="UTF-8", xml_declaration=True, standalone=True)


def drop_unused_parts(doc: DocxDocument) -> None:
    """Unlink the parts no kesu document uses, so python-docx does not write them."""
    for rels, reltypes in ((doc.part.rels, DROPPED_PART_RELS), (doc.part.package.rels, DROPPED_PACKAGE_RELS)):
        for r_id in [r_id for r_id, rel in rels.items() if rel.reltype in reltypes]:
            rels.pop(r_id)


def add_field(paragraph: Paragraph, instruction: str) -> None:
    """A real Word field (PAGE, NUMPAGES): begin / instrText / separate / cached result / end runs."""
    def fld_char(kind: str) -> None:
        add_run(paragraph, "", FOOTER_PT)._element.append(w_element("w:fldChar", fldCharType=kind))

    fld_char("begin")
    instr_text = w_element("w:instrText")
    instr_text.set(qn("xml:space"), "preserve")
    instr_text.text = f" {instruction} "
    add_run(paragraph, "", FOOTER_PT)._element.append(instr_text)
    fld_char("separate")
    add_run(paragraph, "1", FOOTER_PT)
    fld_char("end")


def set_footer(section: Section) -> None:
    """``模板版本 v… 数据校验码 … 第 X 页 共 Y 页`` centred in 9 pt on every page."""
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = CENTER
    add_run(paragraph, "模板版本 v{{ template_version }}　数据校验码 {{ data_hash }}　第 ", FOOTER_PT)
    add_field(paragraph, "PAGE")
    add_run(paragraph, " 页 共 ", FOOTER_PT)
    add_field(paragraph, "NUMPAGES")
    add_run(paragraph, " 页", FOOTER_PT)


def set_core_properties(doc: DocxDocument, title: str) -> None:
    """Fixed, Jinja-free metadata (docxtpl renders core properties too)."""
    props = doc.core_properties
    props.title = title
    props.author = "kesu"
    props.last_modified_by = "kesu"
    props.subject = ""
    props.comments = ""
    props.keywords = ""
    props.category = ""
    props.language = "zh-CN"
    props.revision = 1
    props.created = FIXED_TIME
    props.modified = FIXED_TIME


def new_document(title: str) -> DocxDocument:
    """An empty, lean A4 document with kesu's styles, footer and metadata."""
    doc = Document()
    drop_unused_parts(doc)
    prune_styles(doc)
    set_style_fonts(doc)
    set_header_footer_tabs(doc)
    set_settings(doc)
    add_font_entry(doc)
    section = doc.sections[0]
    set_page(section)
    set_footer(section)
    set_core_properties(doc, title)
    body_element = doc.element.body
    for paragraph in body_element.findall(qn("w:p")):
        body_element.remove(paragraph)
    return doc


def save(doc: DocxDocument, path: Path) -> None:
    """Save with fixed zip timestamps so identical input gives an identical file."""
    buffer = io.BytesIO()
    doc.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(fixed, src.read(info.filename))
    path.write_bytes(out.getvalue())


# --- the six documents ----------------------------------------------------------------------------------------------

GOODS_HOLD_COLUMNS = (
    Column("位置", "location", 3.4, LEFT), Column("数量", "quantity", 2.2), Column("已隔离数量", "held_quantity", 2.6),
    Column("是否隔离", "on_hold", 2.2), Column("备注", "note", 5.2, LEFT),
)
LOSS_ITEM_COLUMNS = (
    Column("损失项目", "description", 4.2, LEFT), Column("数量", "quantity", 1.6),
    Column("单价（元）", "unit_price", 2.8, RIGHT), Column("索赔金额（元）", "claimed_amount", 3.5, RIGHT),
    Column("核定金额（元）", "verified_amount", 3.5, RIGHT),
)
PAYMENT_COLUMNS = (
    Column("支付方式", "method", 3.4), Column("金额（元）", "amount", 3.4, RIGHT), Column("支付日期", "paid_date", 3.8),
    Column("凭证号", "voucher_no", 5.0),
)
ACTION_WIDTHS = (2.4, 8.2, 2.8, 2.2)


def salutation(doc: DocxDocument) -> None:
    """``尊敬的 customer：`` at the head of a letter to the customer."""
    add_paragraph(doc, "尊敬的{{ customer.name }}：", before_pt=6)


def clerk_contact(doc: DocxDocument) -> None:
    """Who to call about the case."""
    add_paragraph(doc, "经办人：{{ clerk }}　　联系电话：{{ clerk_phone or company_phone }}", before_pt=6)


def build_acknowledgement() -> DocxDocument:
    """投诉受理回执: tells the customer the complaint is registered and when to expect a first reply."""
    doc = new_document("投诉受理回执")
    title_block(doc, "投诉受理回执")
    salutation(doc)
    body(doc, "您于 {{ received_at }} 通过{{ channel }}反映的问题已受理。感谢您对我司产品和服务的信任与监督，"
              "对给您带来的不便，我们深表歉意。受理信息如下：")
    label_value_table(doc, [
        ("案件编号", "{{ case_no }}", "受理时间", "{{ received_at }}"),
        ("客户", "{{ customer.name }}"),
        ("联系人", "{{ customer.contact_person }}", "联系电话", "{{ customer.phone }}"),
        ("投诉类别", "{{ category }}", "涉及数量", "{{ quantity }}"),
        ("产品/型号/批号", "{{ product }}　{{ model_no }}　{{ lot_no }}"),
        ("投诉摘要", "{{ title }}"),
        ("问题描述", "{{ description }}"),
        ("客户诉求", "{{ customer_demand }}"),
    ])
    body(doc, "我们将于 {{ first_response_due }} 前给您初步答复，并在处理过程中及时通报进展。"
              "请妥善保留相关产品、包装及购货凭证，以便核查。")
    body(doc, "您可凭案件编号 {{ case_no }} 及登记的联系电话查询处理进度，也可直接联系经办人。"
              "您的个人信息和投诉内容仅用于处理本次投诉，我们将严格保密。")
    clerk_contact(doc)
    seal_block(doc)
    writing_table(doc, [("客户签收", "本人已收到案件编号为 {{ case_no }} 的投诉受理回执。", 0.8)], signer="客户签字")
    return doc


def build_investigation_report() -> DocxDocument:
    """调查报告 in 8D form, written by the responsible department."""
    doc = new_document("调查报告")
    title_block(doc, "调查报告", "（8D 报告）")
    label_value_table(doc, [
        ("案件编号", "{{ case_no }}", "报告日期", "{{ doc_date }}"),
        ("客户", "{{ customer.name }}"),
        ("客户等级", "{{ customer.tier }}", "受理日期", "{{ received_date }}"),
        ("投诉类别", "{{ category }}", "严重程度", "{{ severity }}"),
        ("内销/外销", "{{ market }}", "批量投诉", "{{ is_batch }}"),
    ])
    heading(doc, "D1　成立小组")
    label_value_table(doc, [
        ("责任部门", "{{ department }}", "处理人", "{{ handler }}"),
        ("联系电话", "{{ handler_phone }}", "客服专员", "{{ clerk }}"),
    ])
    heading(doc, "D2　问题描述")
    label_value_table(doc, [
        ("投诉摘要", "{{ title }}"),
        ("问题描述", "{{ description }}"),
        ("产品名称", "{{ product }}", "型号规格", "{{ model_no }}"),
        ("零件号", "{{ part_no }}", "批号", "{{ lot_no }}"),
        ("涉及数量", "{{ quantity }}", "不良率", "{{ defect_rate }}"),
    ])
    heading(doc, "D3　临时措施")
    value_block(doc, "{{ containment }}")
    add_paragraph(doc, "受影响货物及隔离情况：", after_pt=3).paragraph_format.keep_with_next = True
    loop_table(doc, GOODS_HOLD_COLUMNS, "goods_holds")
    heading(doc, "D4　根本原因分析")
    value_block(doc, "{{ root_cause }}")
    heading(doc, "D5/D6　纠正措施的确定与实施")
    actions = new_table(doc, ACTION_WIDTHS)
    header_row(actions, ["措施类别", "内容", "责任部门", "负责人"])
    for kind, tag in (("临时措施", "{{ containment }}"), ("纠正措施", "{{ corrective_action }}"),
                      ("预防措施", "{{ preventive_action }}")):
        cells = add_row(actions, ACTION_WIDTHS)
        cell_text(cells[0], kind, label=True)
        cell_text(cells[1], tag)
        cell_text(cells[2], "{{ department }}", align=CENTER)
        cell_text(cells[3], "{{ handler }}", align=CENTER)
    heading(doc, "D7　预防再发生")
    value_block(doc, "{{ preventive_action }}")
    heading(doc, "D8　结论")
    label_value_table(doc, [
        ("是否成立", "{{ is_valid }}", "责任部门", "{{ department }}"),
        ("判定理由", "{{ validity_reason }}"),
        ("处理方案", "{{ resolution_type }}　{{ resolution_detail }}"),
    ])
    add_paragraph(doc, "", after_pt=6)
    approval_table(doc, ["编制", "审核", "批准"])
    return doc


def build_settlement_agreement() -> DocxDocument:
    """赔偿和解协议 between the company (甲方) and the customer (乙方)."""
    doc = new_document("赔偿和解协议")
    title_block(doc, "赔偿和解协议")
    add_paragraph(doc, "甲方：{{ company_name }}", bold=True)
    add_paragraph(doc, "地址：{{ company_address }}　　联系电话：{{ company_phone }}")
    add_paragraph(doc, "乙方：{{ customer.name }}", bold=True, before_pt=6)
    add_paragraph(doc, "联系人：{{ customer.contact_person }}　　联系电话：{{ customer.phone }}")
    add_paragraph(doc, "地址：{{ customer.address }}")
    heading(doc, "鉴于：")
    body(doc, "一、乙方于 {{ case.received_date }} 就甲方提供的产品（{{ case.product }}，型号 {{ case.model_no }}，"
              "批号 {{ case.lot_no }}）向甲方投诉，案件编号 {{ case.case_no }}，投诉事由：{{ case.title }}。")
    body(doc, "二、乙方于 {{ submitted_date }} 向甲方提出索赔（索赔编号 {{ claim_no }}），索赔金额 {{ claimed_amount }} 元，"
              "索赔理由：{{ reason | trim('。') }}。")
    body(doc, "三、经甲方调查核实，乙方损失明细如下表，核定损失金额为 {{ verified_loss }} 元。")
    loop_table(doc, LOSS_ITEM_COLUMNS, "loss_items",
               total=("合计", "", "", "{{ claimed_amount }}", "{{ verified_loss }}"))
    body(doc, "为妥善解决上述投诉及索赔事项，甲乙双方本着平等自愿、诚实信用的原则，经友好协商，达成如下协议：")
    heading(doc, "第一条　赔偿金额")
    body(doc, "甲方赔偿乙方合计（大写）{{ approved_amount_in_words }}（小写：¥{{ approved_amount }}）。")
    heading(doc, "第二条　赔偿形式与支付")
    body(doc, "赔偿形式：{{ compensation_form }}。涉及款项支付的，以{{ payment_method }}方式"
              "{% if payment_plan %}分 {{ instalments }} 期支付，各期金额及日期如下：{% else %}一次性支付。{% endif %}")
    control(doc, "{%p if payment_plan %}")
    value_block(doc, "{{ payment_plan }}")
    control(doc, "{%p endif %}")
    body(doc, "{% if payment_deadline %}甲方应于 {{ payment_deadline }} 前履行上述全部赔偿义务"
              "{% else %}甲方应于本协议生效后按上述约定履行赔偿义务{% endif %}；乙方应向甲方提供准确的收款信息。")
    heading(doc, "第三条　争议了结")
    body(doc, "乙方确认收到款项后，双方就本次投诉事项再无其他争议，乙方不再就同一事项向甲方主张任何其他权利或赔偿。")
    heading(doc, "第四条　保密条款")
    body(doc, "双方对本协议内容及处理本次投诉过程中知悉的对方商业信息和个人信息负有保密义务，未经对方书面同意，"
              "不得向任何第三方披露；法律法规另有规定或有权机关依法要求披露的除外。")
    heading(doc, "第五条　争议解决")
    body(doc, "因本协议引起的或与本协议有关的争议，双方应友好协商解决；协商不成的，任何一方均可向甲方所在地"
              "有管辖权的人民法院提起诉讼。")
    heading(doc, "第六条　其他")
    body(doc, "本协议自双方签字或盖章之日起生效。本协议一式两份，甲乙双方各执一份，具有同等法律效力。")
    add_paragraph(doc, "（以下无正文）", before_pt=6)
    signature_columns(doc, [
        "甲方（盖章）：{{ company_name }}", "授权代表（签字）：", "日期：" + DATE_BLANK,
    ], [
        "乙方（签字或盖章）：{{ customer.name }}", "授权代表（签字）：", "日期：" + DATE_BLANK,
    ])
    control(doc, "{%p if payments %}")
    heading(doc, "附：已支付记录")
    loop_table(doc, PAYMENT_COLUMNS, "payments")
    add_paragraph(doc, "已支付合计：{{ paid_total }} 元", before_pt=3)
    control(doc, "{%p endif %}")
    return doc


def build_result_notice() -> DocxDocument:
    """处理结果通知书: the decision, the solution, the appeal route and the customer's opinion."""
    doc = new_document("处理结果通知书")
    title_block(doc, "处理结果通知书")
    salutation(doc)
    body(doc, "您于 {{ received_at }} 反映的“{{ title }}”一事（案件编号：{{ case_no }}），我司已完成调查核实。"
              "现将处理结果通知如下：")
    control(doc, '{%p if is_valid == "不成立" %}')
    body(doc, "经核查，您的投诉不成立，理由：{{ validity_reason }}")
    body(doc, "感谢您的反馈。如您能提供新的事实或证据，我们将重新核查。")
    control(doc, "{%p else %}")
    body(doc, "经核查，您的投诉成立，处理方案：{{ resolution_type }}　{{ resolution_detail }}")
    control(doc, "{%p if proposed_amount %}")
    body(doc, "金额 {{ proposed_amount }} 元（{{ proposed_amount_in_words }}）。")
    control(doc, "{%p endif %}")
    control(doc, "{%p if corrective_action %}")
    body(doc, "针对该问题，我司已采取以下改进措施：{{ corrective_action }}")
    control(doc, "{%p endif %}")
    body(doc, "对给您带来的不便，我们再次表示歉意。")
    control(doc, "{%p endif %}")
    body(doc, "如对处理结果有异议，可{% if appeal_deadline %}于 {{ appeal_deadline }} 前（{{ appeal_period_days }} 日内）"
              "{% else %}自收到本通知书之日起 {{ appeal_period_days }} 日内{% endif %}凭案件编号向我司提出申诉，"
              "并说明理由、提供相关证据；我司将重新核查并给予答复。")
    clerk_contact(doc)
    seal_block(doc)
    heading(doc, "客户意见表")
    writing_table(doc, [
        ("客户意见", "□ 同意上述处理结果　　　□ 不同意", 1.0),
        ("意见说明", "", 3.0),
    ], signer="客户签字")
    add_paragraph(doc, "请在上表签署意见后交回或回传经办人。", before_pt=3)
    return doc


def build_transfer_slip() -> DocxDocument:
    """客诉传递单: hands a case to the responsible department with a reply deadline."""
    doc = new_document("客诉传递单")
    title_block(doc, "客诉传递单")
    add_paragraph(doc, "传递至：{{ department }}（处理人 {{ handler }}）", bold=True)
    body(doc, "现将以下客户投诉转交贵部门调查处理，请于 {{ reply_due }} 前将原因分析及处理意见书面回复客服部门。"
              "本单所含客户信息及投诉内容仅限处理本案使用，请注意保密。")
    label_value_table(doc, [
        ("案件编号", "{{ case_no }}", "批量投诉", "{{ is_batch }}"),
        ("受理时间", "{{ received_at }}", "投诉渠道", "{{ channel }}"),
        ("客户", "{{ customer.name }}"),
        ("客户等级", "{{ customer.tier }}", "内销/外销", "{{ market }}"),
        ("投诉类别", "{{ category }}", "严重程度", "{{ severity }}"),
        ("升级级别", "{{ escalation_level }}", "客服专员", "{{ clerk }}"),
        ("产品名称", "{{ product }}", "型号规格", "{{ model_no }}"),
        ("零件号", "{{ part_no }}", "批号", "{{ lot_no }}"),
        ("涉及数量", "{{ quantity }}", "不良率", "{{ defect_rate }}"),
        ("投诉摘要", "{{ title }}"),
        ("问题描述", "{{ description }}"),
        ("客户诉求", "{{ customer_demand }}"),
        ("首次答复", "{{ first_response_due }} 前答复客户"),
        ("回复时限", "{{ reply_due }} 前回复客服部门"),
    ])
    add_paragraph(doc, "发出人：{{ clerk }}（电话 {{ clerk_phone or company_phone }}）　　发出日期：{{ doc_date }}",
                  align=RIGHT, before_pt=6)
    heading(doc, "责任部门回复（请于回复时限前填写并交回客服部门）")
    writing_table(doc, [("原因分析", "", 5.0), ("处理意见", "", 5.0)], signer="部门负责人签字")
    return doc


def build_accountability_decision() -> DocxDocument:
    """责任追究决定书: facts, cause, measure, improvement and the appeal route."""
    doc = new_document("责任追究决定书")
    title_block(doc, "责任追究决定书")
    control(doc, "{%p if person %}")
    add_paragraph(doc, "被追究人：{{ person }}（{{ person_department }}）", bold=True)
    control(doc, "{%p endif %}")
    add_paragraph(doc, "责任部门：{{ department }}", bold=True)
    heading(doc, "一、基本事实")
    body(doc, "{{ case.received_date }}，公司受理客户{{ case.customer_name }}关于“{{ case.title }}”的投诉"
              "（案件编号：{{ case.case_no }}，涉及产品：{{ case.product }}）。经调查核实，有关事实如下：")
    value_block(doc, "{{ facts }}")
    heading(doc, "二、责任原因")
    value_block(doc, "{{ cause }}")
    heading(doc, "三、处理决定")
    body(doc, "根据公司客户投诉与索赔处理制度中关于责任追究的规定，本着实事求是、公正公平的原则，经研究，"
              "决定给予如下处理：{{ measure }}。")
    control(doc, "{%p if fine_amount %}")
    body(doc, "罚款 {{ fine_amount }} 元（{{ fine_amount_in_words }}）。")
    control(doc, "{%p endif %}")
    heading(doc, "四、整改要求")
    value_block(doc, "{{ improvement }}")
    body(doc, "请责任部门按上述要求落实整改，并将整改情况书面报告公司。")
    heading(doc, "五、申诉途径")
    body(doc, "如对本决定有异议，可自收到本决定书之日起 {{ appeal_period_days }} 日内向公司提出书面申诉，"
              "并附相关说明及证据。逾期未提出申诉的，本决定即予执行。")
    control(doc, "{%p if appeal_decision %}")
    heading(doc, "六、申诉复核")
    body(doc, "申诉理由：{{ appeal_reason }}")
    body(doc, "复核结论：{{ appeal_outcome }}。{{ appeal_decision }}")
    control(doc, "{%p endif %}")
    decided = add_paragraph(doc, "决定人：{{ decided_by }}　　决定日期：{{ decided_date }}", align=RIGHT, before_pt=12)
    decided.paragraph_format.keep_with_next = True
    seal_block(doc)
    heading(doc, "签收")
    writing_table(doc, [("签收说明", "本人已收到本决定书，知悉上述处理决定及申诉途径。", 1.0)],
                  signer="被追究人签字")
    return doc


TEMPLATES: dict[str, Callable[[], DocxDocument]] = {
    "acknowledgement": build_acknowledgement,
    "investigation_report": build_investigation_report,
    "settlement_agreement": build_settlement_agreement,
    "result_notice": build_result_notice,
    "transfer_slip": build_transfer_slip,
    "accountability_decision": build_accountability_decision,
}


def main() -> None:
    """Write every template next to this script."""
    for doc_type, build in TEMPLATES.items():
        path = OUT_DIR / f"{doc_type}.docx"
        save(build(), path)
        print(f"{path.relative_to(OUT_DIR.parent)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
