#!/usr/bin/env python3
"""Write src/assembler/data/summary-skeleton.xlsx: 汇总.xlsx without its people's rows, made by openpyxl.

A build writes 汇总.xlsx from this committed file, so that it does not import openpyxl (a tenth of a
second) for a header row; tests/test_summary_sheet.py fails when the file and openpyxl's output drift apart.
    .venv/bin/python scripts/build_summary_skeleton.py           # write the file
    .venv/bin/python scripts/build_summary_skeleton.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from assembler.build.summary_sheet import SKELETON, openpyxl_skeleton  # noqa: E402
from assembler.output import atomic_write  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="生成 汇总.xlsx 的骨架 src/assembler/data/summary-skeleton.xlsx。")
    parser.add_argument("--check", action="store_true", help="只检查已提交的文件是否最新；过期时退出码为 1。")
    args = parser.parse_args(argv)
    wanted = openpyxl_skeleton()
    current = SKELETON.read_bytes() if SKELETON.is_file() else None
    where = SKELETON.relative_to(REPO)
    if current == wanted:
        print(f"{where} 已是最新。")
        return 0
    if args.check:
        print(f"{where} 已过期：请运行 python scripts/build_summary_skeleton.py", file=sys.stderr)
        return 1
    atomic_write(SKELETON, wanted)
    print(f"已写入 {where}。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
