#!/usr/bin/env python3
"""Write templates/gbt9704.docx from src/assembler/ooxml/base_template.py.

The committed file lets people open the base template in Word or Writer and look at it; the code
stays the source of truth, and tests/test_fidelity.py fails when the two drift apart.
    .venv/bin/python scripts/build_base_template.py           # write the file
    .venv/bin/python scripts/build_base_template.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from assembler.ooxml.base_template import base_template_bytes  # noqa: E402

TARGET = REPO / "templates" / "gbt9704.docx"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成 GB/T 9704 基础模板 templates/gbt9704.docx。")
    parser.add_argument("--check", action="store_true", help="只检查已提交的文件是否最新；过期时退出码为 1。")
    args = parser.parse_args(argv)
    wanted = base_template_bytes()
    current = TARGET.read_bytes() if TARGET.is_file() else None
    if args.check:
        if current == wanted:
            print(f"{TARGET.relative_to(REPO)} 已是最新。")
            return 0
        print(f"{TARGET.relative_to(REPO)} 已过期：请运行 python scripts/build_base_template.py", file=sys.stderr)
        return 1
    if current == wanted:
        print(f"{TARGET.relative_to(REPO)} 无变化。")
        return 0
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=TARGET.parent, prefix=".gbt9704-", suffix=".docx", delete=False) as handle:
        handle.write(wanted)
    os.replace(handle.name, TARGET)
    TARGET.chmod(0o644)
    print(f"已写入 {TARGET.relative_to(REPO)}（{len(wanted)} 字节）。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
