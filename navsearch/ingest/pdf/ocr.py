"""OCR of pages without a text layer: OCRmyPDF + Tesseract (Debian packages), run as a
subprocess with a time limit.

OCRmyPDF rasterises each page that has no text, runs Tesseract on it and writes a copy of
the PDF with an invisible text layer (``--skip-text`` leaves pages that have text alone).
That copy, in a temporary folder, is read like any other PDF; the page images never leave
the temporary folder, so nothing of them reaches the catalog. Not installed: OcrUnavailable
says so and how to install it, and the file is reported (never indexed empty).
"""

from __future__ import annotations

import shutil
import subprocess
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
