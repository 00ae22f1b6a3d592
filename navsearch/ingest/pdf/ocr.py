"""OCR of pages without a text layer: OCRmyPDF + Tesseract (Debian packages), run as a
subprocess with a time limit.

OCRmyPDF rasterises each page that has no text, runs Tesseract on it and writes a copy of
the PDF with an invisible text layer (``--skip-text`` leaves pages that have text alone).
That copy, in a temporary folder, is read like any other PDF; the page images never leave
the temporary folder, so nothing of them reaches the catalog. Not installed: OcrUnavailable
says so and how to install it, and the file is reported (never indexed empty).

``ocr_page_text`` reads one page that has a text layer again, for front-page fields the
publisher's text layer garbled (Ghostscript renders it, Tesseract reads it).
"""

from __future__ import annotations

import shutil
import string
import subprocess
import tempfile
import time
from pathlib import Path

from navsearch.errors import NoTextLayer, ParseError

INSTALL_HINT = "apt-get install ocrmypdf tesseract-ocr-eng tesseract-ocr-chi-sim"


def missing() -> str | None:
    """Why OCR cannot run here, or None when OCRmyPDF and Tesseract are installed."""
    for tool in ("ocrmypdf", "tesseract"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed ({INSTALL_HINT})"
    return None


def installed_languages() -> set[str]:
    """Tesseract's installed language packs."""
    try:
        out = subprocess.run(
            ["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


def ocr_pdf(path: Path, out: Path, source: str, languages: str, timeout_s: float) -> str:
    """Write ``out``: ``path`` with a text layer on every page that had none. Returns the
    languages used (those of ``languages`` that are installed). NoTextLayer when OCR is
    not installed; ParseError when it fails or takes longer than ``timeout_s``."""
    reason = missing()
    if reason:
        raise NoTextLayer(source, "OCR", reason)
    have = installed_languages()
    wanted = [lang for lang in languages.split("+") if lang in have]
    if not wanted:
        raise NoTextLayer(
            source, "OCR", f"no Tesseract language pack of {languages!r} is installed ({INSTALL_HINT})"
        )
    used = "+".join(wanted)
    command = [
        "ocrmypdf", "--skip-text", "--language", used, "--output-type", "pdf",
        "--optimize", "0", "--jobs", "1", "--quiet", str(path), str(out),
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ParseError(source, "OCR", f"OCR took longer than {timeout_s:g} s (ingest.ocr_timeout_s)") from None
    except OSError as exc:
        raise ParseError(source, "OCR", f"could not run ocrmypdf: {exc}") from exc
    if done.returncode != 0 or not out.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        raise ParseError(source, "OCR", f"ocrmypdf failed (exit {done.returncode}): {tail[0]}")
    return used


# The characters a front page's codes, dates and names are printed with. Tesseract reads
# the "J" of "H02J" in a patent's typeface as "]" unless brackets are ruled out, and the
# fallback below only looks for those fields, so every other character is excluded.
FIELD_CHARACTERS = string.ascii_letters + string.digits + " ().,/:;-'&"
_RENDER_DPI = 300  # Tesseract's models are trained on ~300 dpi text; lower loses digits


def ocr_page_text(path: Path, page: int, source: str, languages: str, timeout_s: float) -> str:
    """The text Tesseract reads on page ``page`` (1-based) of ``path``, rendered by
    Ghostscript (an OCRmyPDF dependency) into a temporary folder; both run as
    subprocesses within ``timeout_s`` together. For a page that has a text layer whose
    fields are malformed (see front_fields). NoTextLayer when OCR is not installed;
    ParseError when it fails or runs out of time."""
    reason = missing() or (None if shutil.which("gs") else f"gs is not installed ({INSTALL_HINT})")
    if reason:
        raise NoTextLayer(source, "OCR", reason)
    wanted = [lang for lang in languages.split("+") if lang in installed_languages()]
    if not wanted:
        raise NoTextLayer(source, "OCR", f"no Tesseract language pack of {languages!r} is installed")
    deadline = time.monotonic() + timeout_s
    with tempfile.TemporaryDirectory(prefix="navsearch-ocr-page-") as tmp:
        image = Path(tmp) / "page.png"
        render = [
            "gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pnggray", f"-r{_RENDER_DPI}",
            f"-dFirstPage={page}", f"-dLastPage={page}", f"-sOutputFile={image}", str(path),
        ]  # fmt: skip
        read = [
            "tesseract", str(image), "stdout", "-l", "+".join(wanted),
            "-c", f"tessedit_char_whitelist={FIELD_CHARACTERS}",
        ]  # fmt: skip
        for command in (render, read):
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise subprocess.TimeoutExpired(command, timeout_s)
                done = subprocess.run(command, capture_output=True, text=True, timeout=left, check=False)
            except subprocess.TimeoutExpired:
                late = f"OCR of page {page} took longer than {timeout_s:g} s (ingest.ocr_timeout_s)"
                raise ParseError(source, "OCR", late) from None
            except OSError as exc:
                raise ParseError(source, "OCR", f"could not run {command[0]}: {exc}") from exc
            if done.returncode != 0:
                tail = done.stderr.strip().splitlines()[-1:] or ["no message"]
                failed = f"{command[0]} failed on page {page} (exit {done.returncode}): {tail[0]}"
                raise ParseError(source, "OCR", failed)
    return done.stdout
