"""scripts/package-lambda.sh's glibc gate, on binaries built here with the host C compiler:
one that needs a glibc newer than Amazon Linux 2023's 2.34 (arc4random, glibc 2.36) must be
refused, one that needs nothing new must pass."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "package-lambda.sh"

PROGRAMS = [
    # (name, C source, accepted)
    ("new_glibc", "#include <stdlib.h>\nint main(void){return (int)(arc4random() & 1);}\n", False),
    ("old_glibc", "#include <stdio.h>\nint main(void){puts(\"ok\");return 0;}\n", True),
]


@pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler on this machine")
@pytest.mark.parametrize("name,source,accepted", PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_glibc_gate(tmp_path, name, source, accepted):
    c_file = tmp_path / f"{name}.c"
    c_file.write_text(source)
    binary = tmp_path / name
    subprocess.run(["cc", "-O1", "-o", str(binary), str(c_file)], check=True)
    versions = subprocess.run(["objdump", "-T", str(binary)], capture_output=True, text=True, check=True).stdout
    if not accepted:
        assert any(f"GLIBC_2.{minor}" in versions for minor in range(35, 60)), (
            "the host glibc is too old to build a binary that needs > 2.34; this test needs glibc >= 2.35"
        )
    result = subprocess.run(["bash", str(SCRIPT), "--check-glibc", str(binary)], capture_output=True, text=True)
    assert (result.returncode == 0) == accepted, f"{name}: rc={result.returncode}\n{result.stdout}{result.stderr}"
    if not accepted:
        assert "newer than Amazon Linux 2023's 2.34" in result.stderr, result.stderr
