"""Reference data for case routing: the departments and the case category table.

The category table is modelled on the digital city management standard (GB/T 30428, 管理部件和
事件): component cases 部件 and event cases 事件, each a 2-digit big class and a 3-digit small
class. In the standard both kinds number their big classes from 01; here codes must be unique
5-digit strings in one table, so the event big classes continue after the component ones
(components 01-06, events 07-12).

Admins edit this table at run time (it is data, not code); these lists are what a new install
and the demo start from. The dicts match the columns of Department and CaseCategory, so they
can be inserted as they are or posted to /api/v1/departments and /api/v1/case-categories.
"""

from __future__ import annotations

COUNTY_CODE = "410602"  # 鹤壁市鹤山区

# The "1+5" departments (环卫, 园林, 市政, 城管执法, 照明) first, then the others cases go to.
DEPARTMENTS: list[dict] = [
    {"code": "HW01", "name": "鹤山区环境卫生管理处", "kind": "sanitation", "phone": "0392-2611001"},
    {"code": "YL01", "name": "鹤山区园林绿化管理处", "kind": "greening", "phone": "0392-2611002"},
    {"code": "SZ01", "name": "鹤山区市政工程管理处", "kind": "municipal", "phone": "0392-2611003"},
    {"code": "ZF01", "name": "鹤山区城市管理综合执法大队", "kind": "enforcement",
     "phone": "0392-2611004"},
    {"code": "ZM01", "name": "鹤山区路灯管理所", "kind": "lighting", "phone": "0392-2611005"},
    {"code": "GA01", "name": "鹤壁市公安局鹤山分局", "kind": "police", "phone": "0392-2612110"},
    {"code": "MZ01", "name": "鹤山区民政局", "kind": "civil_affairs", "phone": "0392-2611007"},
    {"code": "AJ01", "name": "鹤山区应急管理局", "kind": "work_safety", "phone": "0392-2611008"},
    {"code": "XF01", "name": "鹤山区消防救援大队", "kind": "fire", "phone": "0392-2612119"},
    {"code": "ZJ01", "name": "鹤山区住房和城乡建设局", "kind": "housing", "phone": "0392-2611010"},
    {"code": "SJ01", "name": "鹤山区市场监督管理局", "kind": "market", "phone": "0392-2611011"},
]
# The offices disputes are handed to besides the police (司法所 under the justice bureau, 信访);
# no case category routes to them.
DISPUTE_OFFICES: list[dict] = [
    {"code": "SF01", "name": "鹤山区司法局", "kind": "justice", "phone": "0392-2611012"},
    {"code": "XW01", "name": "鹤山区信访局", "kind": "petitions", "phone": "0392-2611013"},
]
for _department in DEPARTMENTS + DISPUTE_OFFICES:
    _department.update(area_code=COUNTY_CODE, is_active=True)

# The grid "1+5" team: member role -> the department that member belongs to.
TEAM_ROLE_DEPARTMENTS: dict[str, str] = {
    "环卫": "HW01", "园林": "YL01", "市政": "SZ01", "执法": "ZF01", "照明": "ZM01",
}

COMPONENT = "component"
EVENT = "event"

BIG_CLASSES: dict[str, tuple[str, str]] = {
    "01": (COMPONENT, "公用设施"),
    "02": (COMPONENT, "道路交通"),
    "03": (COMPONENT, "市容环境"),
    "04": (COMPONENT, "园林绿化"),
    "05": (COMPONENT, "房屋土地"),
    "06": (COMPONENT, "其他设施"),
    "07": (EVENT, "市容环境"),
    "08": (EVENT, "宣传广告"),
    "09": (EVENT, "施工管理"),
    "10": (EVENT, "街面秩序"),
    "11": (EVENT, "突发事件"),
    "12": (EVENT, "其他事件"),
}

_DAYS, _WORK_HOURS, _HOURS = "working_days", "working_hours", "hours"

# (code, name, default department, deadline value, deadline unit)
_SMALL_CLASSES: list[tuple[str, str, str, int, str]] = [
    # 部件 components
    ("01001", "井盖缺失", "SZ01", 3, _HOURS),  # an open manhole hurts people: clock hours
    ("01002", "井盖破损", "SZ01", 1, _DAYS),
    ("01003", "雨水箅子缺损", "SZ01", 2, _DAYS),
    ("01004", "消火栓损坏", "XF01", 2, _DAYS),
    ("01005", "路灯不亮", "ZM01", 8, _WORK_HOURS),
    ("01006", "路灯设施损坏", "ZM01", 2, _DAYS),
    ("02001", "道路破损", "SZ01", 3, _DAYS),
    ("02002", "人行道板松动缺失", "SZ01", 3, _DAYS),
    ("02003", "交通护栏损坏", "SZ01", 2, _DAYS),
    ("02004", "交通标志牌损坏", "GA01", 3, _DAYS),
    ("03001", "垃圾箱损坏", "HW01", 2, _DAYS),
    ("03002", "公共厕所设施损坏", "HW01", 2, _DAYS),
    ("03003", "户外广告设施破损", "ZF01", 3, _DAYS),
    ("04001", "行道树倒伏", "YL01", 4, _HOURS),
    ("04002", "树木缺株死亡", "YL01", 5, _DAYS),
    ("04003", "绿地护栏损坏", "YL01", 3, _DAYS),
    ("05001", "危房隐患", "ZJ01", 1, _DAYS),
    ("05002", "房屋外立面脱落", "ZJ01", 4, _WORK_HOURS),
    ("06001", "健身器材损坏", "MZ01", 5, _DAYS),
    ("06002", "治安监控探头损坏", "GA01", 3, _DAYS),
    # 事件 events
    ("07001", "暴露垃圾", "HW01", 1, _DAYS),
    ("07002", "道路不洁", "HW01", 1, _DAYS),
    ("07003", "焚烧垃圾树叶", "ZF01", 4, _WORK_HOURS),
    ("07011", "积存垃圾渣土", "HW01", 6, _WORK_HOURS),  # the example code the plans cite
    ("08001", "非法小广告", "ZF01", 2, _DAYS),
    ("08002", "违规张贴悬挂横幅", "ZF01", 2, _DAYS),
    ("09001", "施工扰民", "ZJ01", 1, _DAYS),
    ("09002", "工地扬尘", "ZJ01", 1, _DAYS),
    ("09003", "道路遗撒", "ZF01", 6, _WORK_HOURS),
    ("10001", "占道经营", "ZF01", 1, _DAYS),
    ("10002", "店外经营", "ZF01", 1, _DAYS),
    ("10003", "无照经营游商", "SJ01", 2, _DAYS),
    ("10004", "机动车乱停放", "GA01", 1, _DAYS),
    ("10005", "违法建设", "ZF01", 5, _DAYS),
    ("11001", "污水冒溢", "SZ01", 4, _WORK_HOURS),
    ("11002", "路面塌陷", "SZ01", 2, _HOURS),
    ("11003", "燃气泄漏", "XF01", 1, _HOURS),
    ("11004", "道路积水", "SZ01", 4, _WORK_HOURS),
    ("11005", "道路积雪结冰", "HW01", 8, _WORK_HOURS),
    ("12001", "噪声扰民", "ZF01", 3, _DAYS),
    ("12002", "群租房安全隐患", "GA01", 3, _DAYS),
    ("12003", "食品安全隐患", "SJ01", 2, _DAYS),
    ("12004", "生产经营安全隐患", "AJ01", 2, _DAYS),
    ("12005", "流浪乞讨人员", "MZ01", 1, _DAYS),
]


def _category(code: str, name: str, department: str, value: int, unit: str) -> dict:
    kind, big_class_name = BIG_CLASSES[code[:2]]
    return {
        "code": code, "kind": kind, "big_class_code": code[:2], "big_class_name": big_class_name,
        "name": name, "default_department_code": department, "deadline_value": value,
        "deadline_unit": unit, "is_active": True,
    }


CATEGORIES: list[dict] = [_category(*row) for row in _SMALL_CLASSES]
