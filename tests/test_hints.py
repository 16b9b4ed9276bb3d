"""hints: one message, worded by each shell; survives the spool and worker processes (pickle)."""

from __future__ import annotations

import json
import pickle

from assembler.hints import Hinted, worded


def test_cli_wording_is_the_plain_text_and_the_dialog_names_its_controls() -> None:
    missing = Hinted("缺少“心得篇数”（essays）的值：片段 a 需要它", "set_value", name="essays")
    assert missing == "缺少“心得篇数”（essays）的值：片段 a 需要它；请在人员表中填写这一列，或用 --set essays=… 统一给出"
    assert worded(missing, "dialog") == ("缺少“心得篇数”（essays）的值：片段 a 需要它；"
                                         "请在人员表中填写这一列，或在“共用值文件”中统一给出")
    skipped = Hinted("a.docx 已存在，未覆盖", "force")
    assert skipped == "a.docx 已存在，未覆盖（加 --force 可覆盖）"
    assert worded(skipped, "dialog") == "a.docx 已存在，未覆盖（勾选“全部重新生成”可覆盖）"
    assert worded("普通的话", "dialog") == "普通的话"


def test_hinted_messages_travel_intact() -> None:
    message = Hinted("缺少“年度”（year）的值：标题需要它", "set_value", name="year")
    again = pickle.loads(pickle.dumps([message]))[0]
    assert isinstance(again, Hinted) and again == message and again.args == {"name": "year"}
    assert json.loads(json.dumps({"e": message}, ensure_ascii=False))["e"] == str(message)
