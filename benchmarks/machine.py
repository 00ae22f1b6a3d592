"""What machine a benchmark ran on, in one place: every speed figure is reported with it.

``lscpu`` names both kinds of 2-core machine this project runs on "AMD EPYC"; they differ in
the vector instructions int8 inference uses (AVX2 only, or AVX-512 with VNNI), and the
encoder's speed with them, so the instruction set is named beside the model name.
"""

from __future__ import annotations

import os
import platform
import subprocess


def cpu_model() -> str:
    """lscpu's model name and the vector instructions int8 inference runs on."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    except OSError:  # no lscpu (not Linux): the platform's own name, instructions unknown
        return platform.processor() or "unknown"
    name = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "unknown")
    flags = set(next((line.split(":", 1)[1].split() for line in out.splitlines() if line.startswith("Flags")), []))
    isa = ("AVX-512 with VNNI" if "avx512_vnni" in flags else "AVX-512" if "avx512f" in flags
           else "AVX2 only" if "avx2" in flags else "no AVX2")
    return f"{name}, {isa}"


def cpu_and_cores() -> str:
    """``cpu_model()`` with the number of cores this process sees."""
    return f"{cpu_model()}, {os.cpu_count()} cores"
