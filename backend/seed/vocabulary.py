"""The words and numbers the demo draws from: data only, no drawing.

The real street and community names of 鹤山区 and their roads, the parts of place and firm
names, the "1+5" team's duties, what households are made of, the mix of cases by source, class
and season, and the notes people write on their work. The sizes and the pace of the seed are
at the end.
"""

from __future__ import annotations

from backend.cases.models import CaseSource
from backend.ledgers.models import KeyGroup

# --- places ------------------------------------------------------------------------------

# street name, [(community name, its roads)]; the real street names of 鹤山区.
STREETS: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("中山街道", [
        ("中山社区", ["中山路", "建设路", "和平路"]),
        ("新华街社区", ["新华街", "跃进路", "团结路"]),
        ("红旗社区", ["红旗街", "东风路", "光明路"]),
    ]),
    ("鹤山街街道", [
        ("鹤山街社区", ["鹤山街", "胜利路", "文化路"]),
        ("人民街社区", ["人民街", "解放路", "工农路"]),
        ("朝阳社区", ["朝阳路", "友谊路", "青年路"]),
    ]),
    ("九矿广场街道", [
        ("九矿社区", ["九矿路", "矿山路", "鹤煤大道"]),
        ("广场社区", ["广场路", "振兴路", "鹤源路"]),
        ("南山社区", ["南山路", "北山路", "汤河路"]),
    ]),
]
CHINESE_NUMERALS = "零一二三四五六七八九十"
PLACE_WORDS = ["幸福", "阳光", "翠苑", "金山", "鹤翔", "康乐", "建业", "锦绣", "富民", "和谐",
               "紫荆", "桂花", "文昌", "春晖"]
# Housing compounds: {n} a mine's number, {road} one of the grid's roads, {word} a place word.
COMPOUND_TEMPLATES = ["鹤煤{n}矿家属院", "{road}小区", "{word}花园", "{word}小区", "{word}新村",
                      "{word}苑"]

# --- people --------------------------------------------------------------------------------

# The "1+5" grid team: the full-time grid worker and one member from each of five departments.
TEAM_DUTIES = {
    "网格员": "人口信息采集、日常巡查、矛盾纠纷排查",
    "环卫": "道路清扫保洁、垃圾清运",
    "园林": "绿地养护、树木修剪",
    "市政": "道路、井盖、排水设施维护",
    "执法": "占道经营、违法建设查处",
    "照明": "路灯设施维护",
}

# Household make-up: kind -> (weight, chance that the home is rented). Together they give about
# 2.9 people per household, a fifth of them 60 or older and a sixth under 15, and about 15%
# rented homes, as in an older mining town.
HOUSEHOLD_KINDS: dict[str, tuple[int, float]] = {
    "独居老人": (7, 0.02),
    "老年夫妇": (13, 0.02),
    "单身": (7, 0.7),
    "年轻夫妇": (7, 0.4),
    "中年夫妇": (8, 0.05),
    "核心家庭": (33, 0.08),
    "三代同堂": (15, 0.02),
    "留守家庭": (3, 0.0),  # grandparents raising grandchildren whose parents work elsewhere
    "合租": (4, 1.0),
}
# Households where old people live on their own: more of them get the subsistence allowance.
OLD_ALONE_KINDS = ("独居老人", "老年夫妇", "留守家庭")
# Where people registered elsewhere come from (GB/T 2260 codes of nearby counties).
OTHER_REGIONS = ["410603", "410611", "410621", "410622", "410522", "410523", "410526",
                 "410782", "130481"]
# The rarer tags, per adult (18+); all of them well under 0.5% of the population.
RARE_TAG_RATES = {
    KeyGroup.released_prisoner: 0.002,
    KeyGroup.community_correction: 0.001,
    KeyGroup.drug_user: 0.001,
    KeyGroup.mental_disorder: 0.003,
}
KEY_GROUP_ORDER = {group.value: n for n, group in enumerate(KeyGroup)}

# --- organisations -------------------------------------------------------------------------

FIRM_WORDS = ["鑫源", "恒达", "华鑫", "宏运", "金鹤", "中原", "天诚", "瑞丰", "永盛", "兴隆",
              "佳和", "泰和", "安达", "德信", "汇通", "聚丰", "昌盛", "嘉禾"]
# Enterprises: name template ({word} a firm word, {road} a road) -> weights of the safety
# risk grades such a firm is given.
ENTERPRISES: list[tuple[str, dict[str, int]]] = [
    ("鹤壁{word}煤矿机械有限公司", {"high": 3, "general": 5, "low": 2}),
    ("鹤壁{word}建材有限公司", {"general": 6, "low": 4}),
    ("鹤壁{word}物流有限公司", {"general": 4, "low": 6}),
    ("鹤山区{road}加油站", {"major": 3, "high": 7}),
    ("鹤壁{word}液化气供应站", {"major": 5, "high": 5}),
    ("鹤壁{word}化工有限公司", {"major": 2, "high": 6, "general": 2}),
    ("鹤壁{word}洗煤有限公司", {"high": 5, "general": 5}),
    ("鹤壁{word}商贸有限公司", {"low": 10}),
    ("鹤壁{word}食品有限公司", {"general": 5, "low": 5}),
    ("鹤壁{word}电子科技有限公司", {"general": 2, "low": 8}),
    ("鹤壁{word}物业服务有限公司", {"low": 10}),
]
SHOP_TRADES = ["便利店", "超市", "五金店", "理发店", "烩面馆", "包子铺", "药店", "水果店",
               "烟酒店", "手机店", "服装店", "早餐店", "汽修店", "烧烤店", "干洗店", "副食店",
               "粮油店", "饭店"]
COOKING_TRADES = ("烩面馆", "包子铺", "早餐店", "烧烤店", "饭店")  # cooking gas: a fire risk
COMMUNITY_GROUPS = ["志愿者服务队", "老年人协会", "文体协会", "红白理事会", "慈善工作站"]

# --- cases ---------------------------------------------------------------------------------

SOURCE_WEIGHTS = {
    CaseSource.patrol: 45, CaseSource.hotline_12345: 22, CaseSource.hotline_12319: 8,
    CaseSource.app: 12, CaseSource.department: 5, CaseSource.video: 8,
}
SOURCE_PHRASES = {
    CaseSource.patrol: "网格员巡查发现", CaseSource.hotline_12345: "市民致电12345反映",
    CaseSource.hotline_12319: "市民致电12319城建热线反映", CaseSource.app: "市民通过APP反映",
    CaseSource.department: "部门巡查发现", CaseSource.video: "视频监控发现",
}
CITIZEN_SOURCES = (CaseSource.hotline_12345, CaseSource.hotline_12319, CaseSource.app)
# How often each small class is reported, relative to 1 for the classes not listed: garbage,
# fly-posting and street trading are the bulk of a city-management hotline's work.
CASE_FREQUENCY = {
    "07001": 14, "07011": 10, "07002": 8, "08001": 12, "10001": 12, "10002": 8, "10004": 8,
    "01005": 6, "03001": 4, "02001": 3, "12001": 3, "09002": 3, "09003": 2, "10005": 2,
    "08002": 3, "07003": 3, "02002": 2, "01002": 2,
}
# Seasonal classes are reported only in their months: snow in winter, waterlogging in the
# rainy season, leaf burning in autumn and spring, dust on building sites outside winter.
CASE_SEASONS = {
    "11005": (12, 1, 2), "11004": (6, 7, 8), "07003": (3, 4, 10, 11),
    "09002": (3, 4, 5, 6, 9, 10, 11),
}
# Where, next to an address, the problem is.
SPOTS = ["附近", "门前", "对面", "路口", "东侧", "西侧"]
# Departments a community may summon besides the one a class goes to (社区吹哨、部门报到), and
# where a wrong dispatch is sent on to.
SUMMONED = ["HW01", "YL01", "SZ01", "ZF01", "GA01", "MZ01", "ZJ01"]

# --- notes people write ----------------------------------------------------------------------

CANCEL_NOTES = ["重复上报, 予以作废", "不属于受理范围, 予以作废", "现场核实无此问题, 予以作废"]
FEEDBACK_NOTES = ["已处置完毕, 附处置后照片", "已安排人员现场处置完毕", "问题已整改到位",
                  "已清理完毕, 恢复原状"]
ON_SITE_NOTES = ["已现场劝离占道摊贩", "已现场清理完毕", "已联系物业当场处理", "已现场劝导整改到位"]
EXTENSION_NOTES = ["需协调产权单位, 申请延期", "材料需采购, 申请延期", "连续降雨无法施工, 申请延期"]
REWORK_NOTES = ["核查未通过: 现场问题仍存在, 请返工", "核查未通过: 清理不彻底, 请返工"]
APPROVAL_NOTES = ["社区已受理, 材料齐全", "街道审核通过", "区级审批通过, 予以公示"]
REJECT_NOTES = ["不符合审批条件", "材料不全, 不予批准"]
ROUTINE_VISIT_NOTES = ["入户核实人口信息, 无变化", "宣传燃气安全与防诈骗知识",
                       "登记家庭成员变动情况", "了解居民诉求, 无异常",
                       "宣传垃圾分类, 发放宣传资料"]
KEY_VISIT_NOTES = {
    "独居老人": "看望老人, 身体状况良好, 提醒用电用气安全",
    "空巢老人": "看望老人, 了解生活需求, 留下联系电话",
    "残疾人": "了解康复情况和补贴发放情况",
    "低保": "核实家庭收入情况, 宣传救助政策",
    "困难群众": "了解家庭困难情况, 协助申请临时救助",
    "4050人员": "宣传就业援助政策, 推荐公益性岗位",
    "留守儿童": "了解学习生活情况, 与监护人沟通",
    "刑释解教": "了解思想动态和就业情况, 做好帮教记录",
    "社区矫正": "了解思想动态, 提醒按时报到",
    "吸毒人员": "配合社区戒毒康复, 了解近期情况",
    "精神障碍": "了解服药和监护情况, 情绪稳定",
    "闲散青少年": "了解就学就业意向, 推荐职业技能培训",
}
WORK_LOG_NOTES = ["协助环卫清理卫生死角", "调解邻里纠纷一起", "更新人口台账", "宣传反诈知识",
                  "排查出租房屋安全隐患", "参加社区例会", "核查低保家庭情况",
                  "配合开展燃气安全检查", "督促商户落实门前三包", "跟进已上报案件处置情况"]
WORK_LOG_REVIEW_NOTES = ["已阅", "内容翔实", "按时完成"]
WORK_LOG_RETURN_NOTES = ["请补充走访户的具体情况", "请写明巡查发现的问题及处理结果"]
LEAVE_REASONS = ["年休假", "年休假", "病假", "参加区网格员培训", "事假"]
# What each kind of visit is for (VisitKind values).
VISIT_PURPOSES = {"routine": "入户走访, 核实人口信息", "key_group": "重点人群定期走访",
                  "hardship": "困难群众帮扶走访", "follow_up": "回访",
                  "supervision": "特殊人群定期帮教"}
# 党员联系户: each grid's party members (one the branch secretary), the households each keeps in
# touch with, and how often they call on them.
PARTY_MEMBERS_PER_GRID = (3, 6)
CONTACTS_PER_MEMBER = (5, 10)
CONTACT_VISIT_EVERY_DAYS = 60
CONTACT_VISIT_NOTES = ["了解家庭近况, 宣传社区活动", "听取对社区工作的意见建议",
                       "提醒冬季用火用电安全", "了解就业就学情况, 帮助联系相关部门"]
# 帮教: how the demo's special groups are kept (backend/seed/fieldwork.py: build_supervision):
# most visited on schedule, some a little late, a few left for weeks.
SUPERVISION_ON_TIME, SUPERVISION_LATE = 0.85, 0.10
# 闲散青少年 among residents aged 16 to 25.
IDLE_YOUTH_RATE = 0.02
PATROL_QUIET_NOTES = ["未发现问题", "网格内秩序良好, 未发现问题", "提醒沿街商户落实门前三包",
                      "检查消防通道, 畅通"]

# --- sizes and pace ------------------------------------------------------------------------

RESIDENTS_PER_SCALE = 20_000
CASES_PER_SCALE = 6_000
# Patrols and work logs cover the last 190 days: the last closed quarter whole, whatever the
# day (the assessment's runs read it; backend/seed/assessment.py).
FIELDWORK_DAYS = 190
PATROLLED_WORKING_DAY, PATROLLED_DAY_OFF = 0.97, 0.85  # the chance a grid is walked that day
BATCH_SIZE = 5_000  # rows per INSERT, ids per IN list
# The demo's year (CaseYear): a slice holds the database about this long, then leaves it free
# to other writers for BETWEEN_SLICES.
SLICE_SECONDS = 1.0
BETWEEN_SLICES = 0.15
