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
    edited = Hinted("a.docx 在生成后被修改过（手工编辑），未覆盖", "overwrite_edited")
    assert edited == "a.docx 在生成后被修改过（手工编辑），未覆盖；确认不需要保留手工修改时，可加 --overwrite-edited 覆盖"
    assert worded(edited, "dialog") == ("a.docx 在生成后被修改过（手工编辑），未覆盖；"
                                        "确认不需要保留手工修改时，可先把原文件移出输出文件夹再生成")
    assert worded("普通的话", "dialog") == "普通的话"


def test_hinted_messages_travel_intact() -> None:
    message = Hinted("缺少“年度”（year）的值：标题需要它", "set_value", name="year")
    again = pickle.loads(pickle.dumps([message]))[0]
    assert isinstance(again, Hinted) and again == message and again.args == {"name": "year"}
    assert json.loads(json.dumps({"e": message}, ensure_ascii=False))["e"] == str(message)
