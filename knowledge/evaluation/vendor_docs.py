"""The comparison evaluation's vendor documents as a user brings them: HTML and PDF without front
matter. PDFs are drawn from their lines (`NAME.pdf.txt`: `# ` the title, `## ` a heading, other
lines paragraphs), so no binary file is committed."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

VENDOR_DOCS = Path(__file__).resolve().parents[1] / "eval" / "vendors"
_PDF_SUFFIX = ".pdf.txt"


def draw_pdf(lines: list[str]) -> bytes:
    """A one-page-per-screenful PDF of `lines` (Chinese drawn in a built-in CID font)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from store.language import has_han

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    y = 800.0
    for line in lines:
        if line.startswith("# "):
            size, text, latin = 20.0, line[2:], "Helvetica-Bold"
        elif line.startswith("## "):
            size, text, latin = 15.0, line[3:], "Helvetica-Bold"
        else:
            size, text, latin = 11.0, line, "Helvetica"
        if y < 60:
            pdf.showPage()
            y = 800.0
        pdf.setFont("STSong-Light" if has_han(text) else latin, size)
        pdf.drawString(50, y, text)
        y -= size + 8
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def materialise(target: Path, source: Path = VENDOR_DOCS) -> list[Path]:
    """Write the vendor documents into `target` (HTML copied, PDFs drawn); their paths."""
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for path in sorted(source.iterdir()):
        if path.name.endswith(_PDF_SUFFIX):
            lines = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
            out = target / path.name.removesuffix(".txt")
            data = draw_pdf(lines)
            if not out.exists() or out.read_bytes() != data:
                out.write_bytes(data)
        elif path.suffix in {".html", ".htm", ".docx", ".txt"} and path.name != "README.md":
            out = target / path.name
            shutil.copyfile(path, out)
        else:
            continue
        written.append(out)
    return written
