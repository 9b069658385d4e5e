"""How long reading one published report takes (issue 20: "well under a second").

    .venv/bin/python bench/past_reports.py [--repeat N]

Reads the seed's text, the seed as a Word file (built here with python-docx), and a report
ten times the seed's length (its narratives repeated), each N times (default 50), and prints
the median and worst wall time of ``read_report`` (decode, sections, figures; no database).
Anchor in the same run: ``bytes.decode`` + ``str.splitlines`` of the same text, the floor
any reader pays. Run on a quiet machine; the numbers go to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "1")


def _timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def _docx(lines: list[str]) -> bytes:
    from docx import Document

    document = Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    import django

    django.setup()
    from evaluations.past import read_report
    from evaluations.sample import SAMPLE_TEXT

    text = SAMPLE_TEXT.read_text(encoding="utf-8")
    narratives = text[text.index("1.着力稳增长"):text.index("（二）专项资金")]
    long_text = text.replace(narratives, narratives * 10)
    cases = {
        "seed.txt": (text.encode("utf-8"), "seed.txt"),
        "seed.txt (GB18030)": (text.encode("gb18030"), "seed.txt"),
        "seed.docx": (_docx(text.splitlines()), "seed.docx"),
        "10x narratives.txt": (long_text.encode("utf-8"), "long.txt"),
    }
    print(f"{'file':24} {'bytes':>9} {'median ms':>10} {'worst ms':>9} {'anchor ms':>10}")
    for name, (data, filename) in cases.items():
        times = _timed(lambda d=data, f=filename: read_report(d, f), args.repeat)
        anchor = _timed(lambda d=data: d.decode("utf-8", "replace").splitlines(), args.repeat)
        print(f"{name:24} {len(data):>9,} {statistics.median(times) * 1000:>10.2f} "
              f"{max(times) * 1000:>9.2f} {statistics.median(anchor) * 1000:>10.3f}")


if __name__ == "__main__":
    main()
