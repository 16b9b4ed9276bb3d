#!/usr/bin/env python3
"""Write the sample people files examples/people.xlsx and examples/people.csv.

The data below is the single source for both files: seven fictional cadres of the
fictional 枫溪镇, whose 分管工作 differ so that the ``when`` rules in
examples/rules.yaml give each of them a different report. Column headers are the
Chinese labels declared in examples/rules.yaml and in snippets/.

Run from the repository root:  python3 scripts/make_examples.py

The output is byte-for-byte reproducible: the .xlsx gets fixed document
timestamps and fixed ZIP entry times; the .csv is GBK (as Excel in China saves
it) with CRLF line ends and dates written like 2022/12/5.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parent.parent
XLSX = ROOT / "examples" / "people.xlsx"
CSV = ROOT / "examples" / "people.csv"

#: Fixed timestamp written into the workbook and its ZIP entries.
STAMP = datetime(2022, 12, 1, 9, 0, 0)

# Column label → kind. Kinds only steer how a value is written: "date" cells become
# Excel dates (and 2022/12/5 in the CSV); "list" values are joined with 、.
COLUMNS: list[tuple[str, str]] = [
    # rules.yaml
    ("姓名", "text"),
    ("年度", "int"),
    ("单位", "text"),
    ("职务", "text"),
    ("分管工作", "list"),
    ("报告日期", "date"),
    # opening.appointment / opening.transfer
    ("任职时间", "date"),
    ("派出单位", "text"),
    ("挂职起始日期", "date"),
    # theory.*
    ("中心组学习次数", "int"),
    ("研讨发言次数", "int"),
    ("学习笔记字数（万字）", "number"),
    ("重点学习论述主题", "text"),
    ("参加培训期数", "int"),
    ("培训天数", "int"),
    ("撰写工作案例篇数", "int"),
    ("下村调研天数", "int"),
    ("调研课题", "text"),
    ("调研报告篇数", "int"),
    # duties.intro, duties.party-building
    ("分管工作推进会次数", "int"),
    ("协调解决问题个数", "int"),
    ("联系村", "text"),
    ("参加联系村组织生活次数", "int"),
    ("联系村发展党员数", "int"),
    ("入党积极分子人数", "int"),
    ("整改党建问题条数", "int"),
    # duties.cadres
    ("组织干部培训期数", "int"),
    ("培训干部人次", "int"),
    ("村级后备力量人数", "int"),
    # duties.village-teams
    ("驻村工作队数", "int"),
    ("驻村队员人数", "int"),
    ("工作队例会次数", "int"),
    ("走访农户数", "int"),
    ("防返贫监测户数", "int"),
    # duties.grid
    ("网格数", "int"),
    ("网格化覆盖村（社区）", "list"),
    ("专兼职网格员人数", "int"),
    ("网格事项办结件数", "int"),
    # duties.industry
    ("主导产业", "text"),
    ("特色产业基地面积（亩）", "number"),
    ("新培育合作社家数", "int"),
    ("村集体经济收入（万元）", "number"),
    # duties.agriculture
    ("粮食播种面积（亩）", "number"),
    ("粮食总产量（吨）", "number"),
    ("新建高标准农田面积（亩）", "number"),
    # duties.projects
    ("重点项目个数", "int"),
    ("重点项目名称", "list"),
    ("项目现场督导次数", "int"),
    ("项目完成投资（万元）", "number"),
    # duties.publicity
    ("理论宣讲场次", "int"),
    ("宣讲受众人次", "int"),
    ("政务新媒体发布条数", "int"),
    ("上级媒体用稿篇数", "int"),
    # duties.civilization
    ("新时代文明实践站数", "int"),
    ("志愿服务活动场次", "int"),
    ("修订村规民约村数", "int"),
    ("表彰文明家庭户数", "int"),
    # duties.safety
    ("安全检查次数", "int"),
    ("排查隐患条数", "int"),
    ("整改隐患条数", "int"),
    ("应急演练次数", "int"),
    ("安全事故起数", "int"),
    # duties.petitions
    ("领导接访日天数", "int"),
    ("受理信访件数", "int"),
    ("信访办结件数", "int"),
    ("调处矛盾纠纷件数", "int"),
    # duties.ecology
    ("包抓河段", "list"),
    ("巡河次数", "int"),
    ("环境问题整改件数", "int"),
    ("植树造林面积（亩）", "number"),
    # duties.livelihood
    ("民生实事件数", "int"),
    ("民生资金（万元）", "number"),
    ("新增就业人数", "int"),
    ("医保参保率（%）", "number"),
    # duties.epidemic
    ("设立防控卡口数", "int"),
    ("返乡人员登记人数", "int"),
    ("疫苗全程接种率（%）", "number"),
    # integrity.*
    ("警示教育次数", "int"),
    ("经手公务接待批次", "int"),
    ("作风问题自查条数", "int"),
    ("廉政谈话人次", "int"),
    ("廉政风险点个数", "int"),
    # problems.*
    ("自查问题条数", "int"),
    ("已整改问题条数", "int"),
    ("能力短板领域", "text"),
    # plans.*
    ("计划专题学习个数", "int"),
    ("下一年度工作重点", "text"),
    ("每季度廉政提醒谈话次数", "int"),
    # per-person changes to examples/checklist.md
    ("选稿", "text"),
]

# Values every report needs, whatever the person's duties.
_COMMON_KEYS = (
    "中心组学习次数 研讨发言次数 学习笔记字数（万字） 重点学习论述主题 "
    "参加培训期数 培训天数 撰写工作案例篇数 下村调研天数 调研课题 调研报告篇数 "
    "分管工作推进会次数 协调解决问题个数 联系村 参加联系村组织生活次数 "
    "联系村发展党员数 入党积极分子人数 整改党建问题条数 警示教育次数 "
    "经手公务接待批次 作风问题自查条数 廉政谈话人次 廉政风险点个数 自查问题条数 "
    "已整改问题条数 能力短板领域 计划专题学习个数 下一年度工作重点 "
    "每季度廉政提醒谈话次数"
).split()


def _person(head: dict, common: tuple, **extra: object) -> dict:
    row = dict(head)
    row.update(zip(_COMMON_KEYS, common, strict=True))
    row.update(extra)
    return row


PEOPLE: list[dict[str, object]] = [
    _person(
        {"姓名": "周明远", "年度": 2022, "单位": "枫溪镇", "职务": "党委副书记（挂职）",
         "分管工作": ["基层党建", "驻村帮扶", "乡村振兴"], "报告日期": date(2022, 12, 5),
         "派出单位": "市发展和改革委员会", "挂职起始日期": date(2021, 8, 30), "网格数": 0},
        (14, 5, 3.2, "乡村振兴", 2, 12, 3, 52, "驻村工作队在产业帮扶中的作用发挥", 2, 11, 27,
         "上坪村", 9, 2, 5, 4, 5, 6, 3, 24, 9, 9, 7, "产业项目谋划和市场运营",
         5, "茶产业提质增效和防返贫监测帮扶", 3),
        驻村工作队数=7, 驻村队员人数=21, 工作队例会次数=12, 走访农户数=1368, 防返贫监测户数=43,
        主导产业="富硒茶叶", **{"特色产业基地面积（亩）": 6800, "村集体经济收入（万元）": 186.5},
        新培育合作社家数=4,
    ),
    _person(
        {"姓名": "罗佳慧", "年度": 2022, "单位": "枫溪镇", "职务": "党委委员、组织委员",
         "分管工作": ["基层党建", "干部队伍", "网格化治理"], "报告日期": date(2022, 12, 6),
         "任职时间": date(2021, 7, 16), "网格数": 46},
        (16, 6, 4.1, "组织工作", 3, 15, 2, 38, "村级后备力量培养", 3, 9, 23,
         "石桥村", 11, 3, 6, 7, 7, 4, 2, 31, 11, 10, 8, "基层治理信息化",
         8, "村级组织换届后的班子建设", 3),
        组织干部培训期数=5, 培训干部人次=412, 村级后备力量人数=31,
        专兼职网格员人数=92, 网格事项办结件数=1137,
        **{"网格化覆盖村（社区）": ["石桥村", "柳湾村", "青龙村", "枫溪社区"]},
    ),
    _person(
        {"姓名": "韩立新", "年度": 2022, "单位": "枫溪镇", "职务": "副镇长",
         "分管工作": ["安全生产", "重点项目", "信访维稳"], "报告日期": date(2022, 12, 6),
         "任职时间": date(2020, 4, 22), "网格数": 0},
        (13, 3, 2.1, "安全生产", 4, 18, 1, 41, "镇域小微企业安全生产监管", 1, 14, 36,
         "东坝村", 7, 1, 3, 0, 5, 11, 4, 18, 14, 11, 9, "工程建设领域政策法规",
         4, "镇区基础设施补短板项目建设", 2),
        重点项目个数=7, 重点项目名称=["枫溪农贸市场改造", "镇区雨污分流管网", "东坝村产业路"],
        项目现场督导次数=31, **{"项目完成投资（万元）": 4265.8},
        安全检查次数=56, 排查隐患条数=173, 整改隐患条数=169, 应急演练次数=6, 安全事故起数=0,
        # 信访维稳 is his too, but the checklist leaves duties.petitions out: filled for when it is ticked.
        领导接访日天数=10, 受理信访件数=37, 信访办结件数=35, 调处矛盾纠纷件数=64,
    ),
    _person(
        {"姓名": "邱振华", "年度": 2022, "单位": "枫溪镇", "职务": "党委委员、政法委员",
         "分管工作": ["信访维稳", "网格化治理", "疫情防控"], "报告日期": date(2022, 12, 7),
         "任职时间": date(2021, 11, 8), "网格数": 38, "选稿": "+duties.petitions"},
        (11, 4, 1.8, "平安中国建设", 2, 9, 3, 33, "农村土地流转纠纷成因及化解", 1, 10, 42,
         "柏树村", 8, 1, 2, 3, 6, 3, 2, 16, 8, 7, 5, "法律政策运用",
         5, "矛盾纠纷多元化解机制建设", 2),
        专兼职网格员人数=76, 网格事项办结件数=864,
        **{"网格化覆盖村（社区）": ["柏树村", "河口村", "新田村"], "疫苗全程接种率（%）": 91.3},
        领导接访日天数=15, 受理信访件数=58, 信访办结件数=56, 调处矛盾纠纷件数=127,
        设立防控卡口数=4, 返乡人员登记人数=2316,
    ),
    _person(
        {"姓名": "沈晓雯", "年度": 2022, "单位": "枫溪镇", "职务": "党委委员、宣传委员",
         "分管工作": ["宣传思想", "精神文明"], "报告日期": date(2022, 12, 7),
         "任职时间": date(2019, 9, 27), "网格数": 0, "选稿": "-theory.practice"},
        (18, 7, 5.6, "宣传思想工作", 1, 5, 2, 29, "新时代文明实践站常态化运行", 2, 7, 15,
         "柳湾村", 10, 2, 4, 2, 4, 2, 1, 12, 6, 6, 5, "新媒体运营和舆情应对",
         7, "新时代文明实践阵地提档升级", 1),
        理论宣讲场次=36, 宣讲受众人次=3480, 政务新媒体发布条数=247, 上级媒体用稿篇数=22,
        新时代文明实践站数=12, 志愿服务活动场次=96, 修订村规民约村数=10, 表彰文明家庭户数=42,
    ),
    _person(
        {"姓名": "潘国栋", "年度": 2022, "单位": "枫溪镇", "职务": "副镇长",
         "分管工作": ["农业农村", "乡村振兴", "生态环保"], "报告日期": date(2022, 12, 8),
         "任职时间": date(2018, 12, 14), "网格数": 0},
        (10, 3, 1.5, "“三农”工作", 3, 14, 4, 47, "高标准农田建后管护机制", 2, 12, 31,
         "青龙村", 6, 2, 3, 0, 6, 5, 3, 22, 13, 9, 6, "生态环境监管执法",
         5, "粮食稳产和特色产业延链补链", 2),
        主导产业="中药材种植", 新培育合作社家数=2,
        **{"特色产业基地面积（亩）": 4200, "村集体经济收入（万元）": 132.7,
           "粮食播种面积（亩）": 28650, "粮食总产量（吨）": 11893.5, "新建高标准农田面积（亩）": 3500,
           "植树造林面积（亩）": 420},
        包抓河段=["枫溪河上游段", "龙潭沟"], 巡河次数=36, 环境问题整改件数=19,
    ),
    _person(
        {"姓名": "魏红梅", "年度": 2022, "单位": "枫溪镇", "职务": "副镇长",
         "分管工作": ["社会事业", "重点项目", "教育卫生"], "报告日期": date(2022, 12, 9),
         "任职时间": date(2022, 3, 3), "网格数": 12},
        (9, 3, 1.2, "保障和改善民生", 2, 8, 1, 26, "农村养老服务供给", 1, 8, 19,
         "河口村", 5, 1, 2, 1, 5, 7, 2, 14, 10, 5, 4, "教育卫生行业管理",
         4, "农村养老和基层医疗服务能力提升", 2),
        专兼职网格员人数=28, 网格事项办结件数=356,
        重点项目个数=4, 重点项目名称=["枫溪镇卫生院改扩建", "镇中心幼儿园新建"], 项目现场督导次数=18,
        民生实事件数=14, 新增就业人数=286,
        **{"网格化覆盖村（社区）": ["枫溪社区", "新田村"], "项目完成投资（万元）": 1865,
           "民生资金（万元）": 763.4, "医保参保率（%）": 97.6},
    ),
]


def _check() -> None:
    labels = [label for label, _ in COLUMNS]
    if len(set(labels)) != len(labels):
        sys.exit("make_examples: duplicate column label")
    for person in PEOPLE:
        unknown = set(person) - set(labels)
        if unknown:
            sys.exit(f"make_examples: {person['姓名']}: unknown columns {sorted(unknown)}")


def _cell(value: object, kind: str) -> object:
    if value is None:
        return None
    if kind == "list":
        return "、".join(value)  # type: ignore[arg-type]
    return value


def _csv_text(value: object, kind: str) -> str:
    if value is None:
        return ""
    if kind == "date":
        d: date = value  # type: ignore[assignment]
        return f"{d.year}/{d.month}/{d.day}"
    if kind == "list":
        return "、".join(value)  # type: ignore[arg-type]
    return str(value)


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite the .xlsx ZIP with fixed entry times and fixed document timestamps."""
    stamp = STAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = payload.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{stamp}\g<2>", text)
                payload = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=STAMP.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, payload)
    return out.getvalue()


def write_xlsx(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "人员"
    wb.properties.creator = "assembler examples"
    wb.properties.created = STAMP
    ws.append([label for label, _ in COLUMNS])
    for person in PEOPLE:
        ws.append([_cell(person.get(label), kind) for label, kind in COLUMNS])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for index, (label, kind) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        head = ws.cell(row=1, column=index)
        head.font = Font(bold=True)
        head.fill = header_fill
        head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        width = max(len(label), *(len(_csv_text(p.get(label), kind)) for p in PEOPLE))
        ws.column_dimensions[letter].width = min(max(width * 2 + 2, 8), 40)
        if kind == "date":
            for row in range(2, len(PEOPLE) + 2):
                ws.cell(row=row, column=index).number_format = "yyyy/m/d"
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = "B2"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(_fixed_zip(buffer.getvalue()))


def write_csv(path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([label for label, _ in COLUMNS])
    for person in PEOPLE:
        writer.writerow([_csv_text(person.get(label), kind) for label, kind in COLUMNS])
    path.write_bytes(buffer.getvalue().encode("gbk"))


def main() -> None:
    _check()
    XLSX.parent.mkdir(parents=True, exist_ok=True)
    write_xlsx(XLSX)
    write_csv(CSV)
    print(f"wrote {XLSX.relative_to(ROOT)} and {CSV.relative_to(ROOT)} ({len(PEOPLE)} people)")


if __name__ == "__main__":
    main()
