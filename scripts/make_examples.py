#!/usr/bin/env python3
"""Write the sample people files examples/people.xlsx and examples/people.csv.

The data below is the single source for both files: the leadership team of the
fictional 枫溪镇 (党委书记, 镇长, 党委副书记, 纪委书记, 组织委员, 宣传委员, three
副镇长 with different portfolios, 人大主席) and three 驻村第一书记 seconded to its
villages. Their 职务 and 分管工作 decide, through the ``when`` rules in
examples/rules.yaml, which sections and snippets each report gets.

The columns are not listed here: they are the variables the library needs, read
from examples/rules.yaml with the same code as ``assembler variables`` (labels as
headers, in the order the rules use them), so a snippet that gains a variable
gains a column. Every figure a report shows comes from a cell below.

Run from the repository root:  .venv/bin/python scripts/make_examples.py

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
sys.path.insert(0, str(ROOT / "src"))

from assembler import pipeline  # noqa: E402
from assembler.library.workbook import needed_variables  # noqa: E402

RULES = ROOT / "examples" / "rules.yaml"
CHECKLIST = ROOT / "examples" / "checklist.md"
XLSX = ROOT / "examples" / "people.xlsx"
CSV = ROOT / "examples" / "people.csv"

#: Fixed timestamp written into the workbook and its ZIP entries.
STAMP = datetime(2022, 12, 1, 9, 0, 0)



def _columns() -> list[tuple[str, str]]:
    """(label, type) of every variable the sample needs, as ``assembler variables`` lists them."""
    project = pipeline.load_project(RULES, CHECKLIST)
    return [(item.spec.label or item.name, item.spec.type) for item in needed_variables(project)] + [("选稿", "text")]


COLUMNS: list[tuple[str, str]] = _columns()

# The team. Keys are the Chinese column labels; lists are written joined with 、.
_SHARED = {"年度": 2022, "单位": "枫溪镇"}


def _person(**row: object) -> dict[str, object]:
    return {**_SHARED, **row}


PEOPLE: list[dict[str, object]] = [
    _person(
        姓名="陈建国", 职务="党委书记", 分管工作=["党委全面工作"], 报告日期=date(2022, 12, 12), 任职时间=date(2020, 9, 16),
        参加集中学习次数=16, 研讨发言次数=6, 主持中心组学习次数=13, 撰写心得体会篇数=5, 讲授党课次数=6, 党课听众人次=520,
        主持召开党委会次数=38, 集体研究重大事项件数=86, 与班子成员谈心谈话人次=27, **{"地区生产总值增长（%）": 6.8,
        "固定资产投资（亿元）": 7.45}, 专题研究党建工作次数=9, 约谈村党组织书记人次=11, 产业链党组织个数=4,
        集体经济收入超十万元村数=7, 网格党小组个数=52, 党员联系户数=2146, 专题研究党风廉政建设次数=5, 廉政谈话人次=46,
        **{"“三重一大”事项集体决策件数": 64}, 经手公务接待批次=17, 作风问题自查条数=4,
        能力短板领域="数字经济和现代产业培育", 下一年度工作重点="富硒茶全产业链建设",
    ),
    _person(
        姓名="李文博", 职务="党委副书记、镇长", 分管工作=["政府全面工作"], 报告日期=date(2022, 12, 12),
        任职时间=date(2021, 7, 28),
        参加集中学习次数=14, 研讨发言次数=5, 下村调研天数=58, 调研课题="镇域小微企业融资难问题", 调研报告篇数=2, 集中学法次数=8,
        主持镇政府常务会议次数=24, **{"一般公共预算收入（万元）": 4186.3, "民生支出占比（%）": 76.4,
        "签约资金（亿元）": 4.2, "项目完成投资（万元）": 9350}, 签约招商项目个数=7, 走访企业次数=63,
        重点项目个数=9, 重点项目名称=["枫溪茶叶产业园", "镇区雨污分流管网", "集镇农贸市场改造"], 项目现场督导次数=42,
        平台流转事项件数=2873, 更新人口房屋信息条数=31650, **{"“三重一大”事项集体决策件数": 41}, 廉政谈话人次=32,
        廉政风险点个数=21, 经手公务接待批次=22, 作风问题自查条数=5,
        能力短板领域="财政金融和招商政策", 下一年度工作重点="招商引资和重点项目提速",
    ),
    _person(
        姓名="赵雅琴", 职务="党委副书记", 分管工作=["基层党建", "网格化治理", "驻村帮扶"], 报告日期=date(2022, 12, 13),
        任职时间=date(2021, 11, 9),
        参加集中学习次数=15, 研讨发言次数=5, 讲授党课次数=5, 党课听众人次=386, 下村调研天数=71,
        调研课题="网格员队伍职业化建设", 调研报告篇数=3, **{"村（社区）党组织个数": 17}, 达标验收党支部个数=14,
        指导主题党日次数=26, 抽查组织生活记录本数=48, 提升党群服务中心个数=6, 党群服务中心代办事项件数=1284,
        网格数=46, 微网格个数=238, 专兼职网格员人数=92, 网格员培训期数=5, 网格事项办结件数=1137,
        **{"网格事项按期办结率（%）": 97.2}, 驻村工作队数=7, 驻村队员人数=21, 工作队例会次数=12, 驻村在岗抽查次数=15,
        廉政谈话人次=24, 廉政风险点个数=13, 警示教育次数=7,
        能力短板领域="社会治理信息化", 下一年度工作重点="网格化服务管理提质",
    ),
    _person(
        姓名="孙立平", 职务="党委委员、纪委书记", 分管工作=["纪检监察"], 报告日期=date(2022, 12, 13),
        任职时间=date(2021, 9, 30),
        参加集中学习次数=13, 研讨发言次数=4, 党纪法规专题学习次数=9, 组织交流研讨次数=5, **{"学习笔记字数（万字）": 3.6},
        开展专项监督检查次数=14, 监督发现问题个数=57, 谈话提醒人次=31, 处置问题线索件数=19, 立案件数=6,
        给予党纪政务处分人数=5, 村级财务审计村数=9, 村务监督委员会成员培训人次=68, 查纠作风问题个数=23, 问责人数=4,
        主动回避事项件数=1, 联系村="河口村", 参加联系村组织生活次数=8, 帮助联系村解决问题个数=4,
        能力短板领域="大数据监督", 下一年度工作重点="惠民惠农资金专项监督",
    ),
    _person(
        姓名="罗佳慧", 职务="党委委员、组织委员", 分管工作=["组织人事", "基层党建", "人才工作"], 报告日期=date(2022, 12, 14),
        任职时间=date(2021, 7, 16),
        参加集中学习次数=16, 研讨发言次数=6, 研读原著篇目数=24, **{"学习笔记字数（万字）": 4.1}, 党纪法规专题学习次数=7,
        全镇发展党员数=23, 入党积极分子人数=41, 新发展党员中35岁以下人数=15, 整顿软弱涣散党组织个数=2,
        整顿中整改问题条数=17, 党员集中培训人次=1206, 党员设岗定责人数=318, 组织干部培训期数=5, 培训干部人次=412,
        考核镇村干部人数=176, 村级后备力量人数=34, 引回返乡人才人数=19, 村党组织书记培训人次=51,
        **{"调整村“两委”干部人数": 3}, 廉政谈话人次=28, 廉政风险点个数=9, 经手公务接待批次=6, 作风问题自查条数=3,
        能力短板领域="干部考核评价", 下一年度工作重点="村党组织书记队伍建设",
    ),
    _person(
        姓名="沈晓雯", 职务="党委委员、宣传委员", 分管工作=["宣传思想", "精神文明", "统一战线"], 报告日期=date(2022, 12, 14),
        任职时间=date(2019, 9, 27),
        参加集中学习次数=18, 研讨发言次数=7, 讲授党课次数=8, 党课听众人次=640, 研读原著篇目数=31,
        **{"学习笔记字数（万字）": 5.6}, 专题研究意识形态工作次数=4, 处置网络舆情件数=12, 政务新媒体发布条数=247,
        上级媒体用稿篇数=22, 组织理论宣讲场次=36, 新时代文明实践站数=12, 志愿服务活动场次=96, 表彰文明家庭户数=42,
        联系村="柳湾村", 参加联系村组织生活次数=10, 帮助联系村解决问题个数=6, 廉政谈话人次=15, 廉政风险点个数=7,
        警示教育次数=6, 能力短板领域="新媒体运营和舆情应对", 下一年度工作重点="新时代文明实践阵地提档升级",
    ),
    _person(
        姓名="潘国栋", 职务="副镇长", 分管工作=["农业农村", "生态环保", "林业"], 报告日期=date(2022, 12, 15),
        任职时间=date(2018, 12, 14),
        参加集中学习次数=12, 研讨发言次数=3, 参加培训期数=3, 培训天数=14, 集中学法次数=6,
        **{"粮食播种面积（亩）": 28650, "粮食总产量（吨）": 11893.5, "新建高标准农田面积（亩）": 3500,
           "村集体经济收入（万元）": 186.5, "植树造林面积（亩）": 420},
        改建卫生厕所户数=412, 村庄清洁行动次数=14, 新培育合作社家数=4, 包抓河段=["枫溪河上游段", "龙潭沟"], 巡河次数=36,
        河湖问题整改件数=19, 环保督察交办问题件数=8, 联系村="青龙村", 参加联系村组织生活次数=6, 帮助联系村解决问题个数=5,
        廉政谈话人次=22, 廉政风险点个数=14, 经手公务接待批次=9, 作风问题自查条数=3, 警示教育次数=5,
        能力短板领域="生态环境监管执法", 自查问题条数=7, 下一年度工作重点="粮食稳产和特色产业延链补链", 计划专题学习个数=5,
    ),
    _person(
        姓名="韩立新", 职务="副镇长", 分管工作=["安全生产", "信访维稳", "应急管理"], 报告日期=date(2022, 12, 15),
        任职时间=date(2020, 4, 22),
        参加集中学习次数=13, 研讨发言次数=3, 参加培训期数=4, 培训天数=18, 集中学法次数=7,
        安全检查次数=56, 排查隐患条数=173, 整改隐患条数=169, 安全事故起数=0, 排查自建房栋数=4317, 应急演练次数=6,
        网格预警信息发布次数=38, 转移避险群众人数=265, 领导接访日天数=15, 受理信访件数=58, 信访办结件数=56,
        反诈宣传场次=27, 重点领域风险排查次数=16, 调处矛盾纠纷件数=127, **{"矛盾纠纷调解成功率（%）": 96.8},
        联系村="东坝村", 参加联系村组织生活次数=7, 帮助联系村解决问题个数=3, 廉政谈话人次=19, 廉政风险点个数=11,
        经手公务接待批次=5, 作风问题自查条数=4, 警示教育次数=6,
        能力短板领域="应急指挥和工程安全", 自查问题条数=9, 下一年度工作重点="自建房和燃气安全长效治理", 计划专题学习个数=4,
    ),
    _person(
        姓名="魏红梅", 职务="副镇长", 分管工作=["经济发展", "招商引资", "乡村振兴"], 报告日期=date(2022, 12, 16),
        任职时间=date(2022, 3, 3),
        参加集中学习次数=11, 研讨发言次数=4, 参加培训期数=2, 培训天数=9, 集中学法次数=5,
        签约招商项目个数=4, **{"签约资金（亿元）": 1.85, "项目完成投资（万元）": 2865}, 走访企业次数=37, 重点项目个数=5,
        重点项目名称=["枫溪镇卫生院改扩建", "柏树村冷链仓储中心"], 项目现场督导次数=26, 走访农户数=1368, 防返贫监测户数=43,
        帮助脱贫劳动力就业人数=612, 技能培训期数=6, 开发公益性岗位个数=48, 联系村="新田村", 参加联系村组织生活次数=9,
        帮助联系村解决问题个数=7, 廉政谈话人次=17, 廉政风险点个数=16, 经手公务接待批次=12, 作风问题自查条数=2,
        警示教育次数=4, 能力短板领域="产业项目谋划和市场运营", 自查问题条数=6, 下一年度工作重点="园区招商和脱贫人口稳岗就业",
        计划专题学习个数=6,
    ),
    _person(
        姓名="吴德厚", 职务="人大主席", 分管工作=["人大工作"], 报告日期=date(2022, 12, 16), 任职时间=date(2021, 12, 28),
        参加集中学习次数=12, 研讨发言次数=4, 集中学法次数=9, 组织交流研讨次数=4, **{"学习笔记字数（万字）": 2.8},
        召开主席团会议次数=5, 收到代表议案建议件数=38,
        镇人大代表人数=56, 组织代表活动次数=11, 代表联系走访选民人次=734, 组织视察调研次数=7, 提出审议意见条数=26,
        票决民生实事项目个数=8, 代表建议办结件数=34, 联系村="柏树村", 参加联系村组织生活次数=6, 帮助联系村解决问题个数=4,
        经手公务接待批次=3, 作风问题自查条数=2, 能力短板领域="预算审查监督", 下一年度工作重点="民生实事项目票决制提质",
    ),
    _person(
        姓名="郑思远", 职务="驻上坪村第一书记", 分管工作=["驻村帮扶"], 报告日期=date(2022, 12, 19),
        派出单位="市发展和改革委员会", 驻村起始日期=date(2021, 8, 30), 驻村名称="上坪村",
        参加集中学习次数=10, 研讨发言次数=3, 参加培训期数=2, 培训天数=11, 下村调研天数=126,
        调研课题="高山村落茶旅融合发展", 调研报告篇数=2, 村党员人数=43, 讲授党课次数=5, 走访农户数=312, 防返贫监测户数=9,
        村主导产业="富硒茶叶", **{"争取产业帮扶资金（万元）": 85, "消费帮扶销售额（万元）": 46.3,
        "基础设施投入资金（万元）": 162, "新建硬化道路（公里）": 4.2}, 产业带动农户数=137, 对接采购单位个数=11,
        实施基础设施项目个数=5, 为群众办实事件数=26, 走访慰问困难群众户数=58, 网格走访户次=947, 为群众代办事项件数=93,
        经手公务接待批次=2, 作风问题自查条数=2, 能力短板领域="农产品市场营销", 下一年度工作重点="茶旅融合和村集体经济增收",
    ),
    _person(
        姓名="高晓峰", 职务="驻石桥村第一书记", 分管工作=["驻村帮扶"], 报告日期=date(2022, 12, 19),
        派出单位="市农业农村局", 驻村起始日期=date(2021, 9, 6), 驻村名称="石桥村",
        参加集中学习次数=9, 研讨发言次数=2, 参加培训期数=3, 培训天数=13, 下村调研天数=118,
        调研课题="中药材种植的风险防控", 调研报告篇数=1, 村党员人数=37, 讲授党课次数=4, 走访农户数=268, 防返贫监测户数=7,
        村主导产业="中药材", **{"争取产业帮扶资金（万元）": 62.5, "消费帮扶销售额（万元）": 31.8,
        "基础设施投入资金（万元）": 98, "新建硬化道路（公里）": 2.6}, 产业带动农户数=96, 对接采购单位个数=7,
        实施基础设施项目个数=3, 为群众办实事件数=19, 走访慰问困难群众户数=41, 网格走访户次=702, 为群众代办事项件数=64,
        经手公务接待批次=1, 作风问题自查条数=3, 能力短板领域="中药材加工和品牌建设", 下一年度工作重点="中药材初加工车间建设",
    ),
    _person(
        姓名="林静怡", 职务="驻柳湾村第一书记", 分管工作=["驻村帮扶"], 报告日期=date(2022, 12, 20),
        派出单位="市卫生健康委员会", 驻村起始日期=date(2022, 1, 10), 驻村名称="柳湾村",
        参加集中学习次数=11, 研讨发言次数=3, 参加培训期数=2, 培训天数=8, 下村调研天数=97,
        调研课题="农村慢性病患者因病返贫风险", 调研报告篇数=2, 村党员人数=29, 讲授党课次数=3, 走访农户数=245,
        防返贫监测户数=12, 村主导产业="稻虾共养", **{"争取产业帮扶资金（万元）": 48, "消费帮扶销售额（万元）": 22.6,
        "基础设施投入资金（万元）": 75.5, "新建硬化道路（公里）": 1.8}, 产业带动农户数=74, 对接采购单位个数=6,
        实施基础设施项目个数=4, 为群众办实事件数=31, 走访慰问困难群众户数=63, 网格走访户次=588, 为群众代办事项件数=117,
        经手公务接待批次=1, 作风问题自查条数=2, 能力短板领域="水产养殖技术", 下一年度工作重点="稻虾共养扩面和村卫生室提升",
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


def main(argv: list[str] | None = None) -> None:
    """``--out DIR`` writes the two files there instead (tests compare them with the committed ones)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[1]) if len(args) == 2 and args[0] == "--out" else XLSX.parent
    _check()
    folder.mkdir(parents=True, exist_ok=True)
    write_xlsx(folder / XLSX.name)
    write_csv(folder / CSV.name)
    print(f"wrote {XLSX.name} and {CSV.name} to {folder} ({len(PEOPLE)} people)")


if __name__ == "__main__":
    main()
