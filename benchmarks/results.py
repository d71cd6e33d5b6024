"""What every benchmark script shares: the machine it ran on, and its section of RESULTS.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    return f"nproc {os.cpu_count()}, {cpu}, Python {platform.python_version()}"


def write_section(marker: str, section: str) -> None:
    """Replace the `## ...` section starting with `marker` (or append it): re-runs overwrite."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    if marker in text:
        before, _, rest = text.partition(marker)
        after = rest.split("\n## ", 1)
        text = before + section + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")
