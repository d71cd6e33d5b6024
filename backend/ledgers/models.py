"""The ledgers (台账): buildings, households, residents and organisations of each grid.

Every row carries its grid code, copied from its parent and kept in step with it, so that scope
checks and area filters never need a chain of joins.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Computed, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.db import HIERARCHICAL, TableBase, TagList
from backend.core.labels import LabeledEnum, enum_column_type


class ResidenceType(LabeledEnum):
    registered = ("registered", "户籍")
    permanent = ("permanent", "常住")
    floating = ("floating", "流动")
    temporary = ("temporary", "暂住")


class Sex(LabeledEnum):
    male = ("male", "男")
    female = ("female", "女")


class KeyGroup(LabeledEnum):
    """Key-group tags (重点人群): the most sensitive data in the system."""

    empty_nest_elderly = ("空巢老人", "空巢老人")
    elderly_alone = ("独居老人", "独居老人")
    disabled = ("残疾人", "残疾人")
    subsistence = ("低保", "低保")
    jobless_4050 = ("4050人员", "4050人员")
    left_behind_child = ("留守儿童", "留守儿童")
    released_prisoner = ("刑释解教", "刑释解教")
    community_correction = ("社区矫正", "社区矫正")
    drug_user = ("吸毒人员", "吸毒人员")
    mental_disorder = ("精神障碍", "精神障碍")
    hardship = ("困难群众", "困难群众")
    idle_youth = ("闲散青少年", "闲散青少年")  # 16-25, neither at school nor at work


class OrganizationKind(LabeledEnum):
    enterprise = ("enterprise", "企业")
    shop = ("shop", "商铺/个体户")
    social = ("social", "社会组织")
    public = ("public", "机关事业单位")
    school = ("school", "学校")
    medical = ("medical", "医疗机构")
    other = ("other", "其他")


class RiskGrade(LabeledEnum):
    """Safety-production risk grades (安全风险分级, the four colours)."""

    major = ("major", "重大风险(红)")
    high = ("high", "较大风险(橙)")
    general = ("general", "一般风险(黄)")
    low = ("low", "低风险(蓝)")


class Building(TableBase):
    __tablename__ = "building"
    # (grid_code, id): a grid's or an area's rows in the order lists show them, with no sort
    # step (the panel opens ledgers in this order; PostgreSQL needs the id in the index).
    __table_args__ = (Index("ix_building__grid_code_id", "grid_code", "id"), {"comment": "楼栋"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), info=HIERARCHICAL,
        comment="网格编码"
    )
    name: Mapped[str] = mapped_column(String(100), comment="楼栋名称")
    address: Mapped[str] = mapped_column(String(200), comment="地址")
    floors: Mapped[int | None] = mapped_column(Integer, comment="层数")
    units: Mapped[int | None] = mapped_column(Integer, comment="单元数")
    head_name: Mapped[str | None] = mapped_column(String(50), comment="楼栋长")
    head_phone: Mapped[str | None] = mapped_column(String(30), comment="楼栋长电话")
    lat: Mapped[float | None] = mapped_column(Float, comment="纬度")
    lng: Mapped[float | None] = mapped_column(Float, comment="经度")


class Household(TableBase):
    __tablename__ = "household"
    # (grid_code, id): a grid's or an area's rows in the order lists show them, with no sort
    # step (the panel opens ledgers in this order; PostgreSQL needs the id in the index).
    __table_args__ = (Index("ix_household__grid_code_id", "grid_code", "id"), {"comment": "户"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), info=HIERARCHICAL,
        comment="网格编码"
    )
    building_id: Mapped[int] = mapped_column(
        ForeignKey("building.id", ondelete="RESTRICT"), index=True, comment="楼栋"
    )
    room: Mapped[str] = mapped_column(String(30), comment="房号")
    head_name: Mapped[str | None] = mapped_column(String(50), comment="户主")
    is_rental: Mapped[bool] = mapped_column(Boolean, default=False, comment="出租房屋")
    landlord_name: Mapped[str | None] = mapped_column(String(50), comment="房东")
    landlord_phone: Mapped[str | None] = mapped_column(String(30), comment="房东电话")
    note: Mapped[str | None] = mapped_column(Text, comment="备注")


# Valid on SQLite and PostgreSQL alike; ID numbers are 18 characters, checked on every write.
BIRTH_YEAR_SQL = "CAST(substr(id_number, 7, 4) AS INTEGER)"


class Resident(TableBase):
    __tablename__ = "resident"
    # (grid_code, id): a grid's or an area's rows in the order lists show them, with no sort
    # step (the panel opens ledgers in this order; PostgreSQL needs the id in the index).
    __table_args__ = (Index("ix_resident__grid_code_id", "grid_code", "id"), {"comment": "居民"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), info=HIERARCHICAL,
        comment="网格编码"
    )
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="RESTRICT"), index=True, comment="户"
    )
    name: Mapped[str] = mapped_column(String(50), index=True, comment="姓名")
    id_number: Mapped[str] = mapped_column(String(18), unique=True, comment="公民身份号码")
    sex: Mapped[Sex] = mapped_column(enum_column_type(Sex), comment="性别")
    birth_date: Mapped[dt.date] = mapped_column(Date, comment="出生日期")
    # What roles without `pii` see of the birth date (withheld, with the ID number masked: the
    # two together are the whole number). Computed by the database from the ID number's
    # digits 7-10, so no write path (API, import, seed) can leave it out or let it drift.
    birth_year: Mapped[int] = mapped_column(
        Integer, Computed(BIRTH_YEAR_SQL), comment="出生年份",
        doc="由身份证号推出, 只读; 人人可见, 可筛选排序 (如 birth_year__lte=1966)")
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")
    residence_type: Mapped[ResidenceType] = mapped_column(
        enum_column_type(ResidenceType), index=True, comment="居住类型"
    )
    relation_to_head: Mapped[str | None] = mapped_column(String(20), comment="与户主关系")
    key_groups: Mapped[list[str]] = mapped_column(TagList, default=list, comment="重点人群标签")
    note: Mapped[str | None] = mapped_column(Text, comment="备注")


class Organization(TableBase):
    __tablename__ = "organization"
    # (grid_code, id): a grid's or an area's rows in the order lists show them, with no sort
    # step (the panel opens ledgers in this order; PostgreSQL needs the id in the index).
    __table_args__ = (Index("ix_organization__grid_code_id", "grid_code", "id"),
                      {"comment": "组织/单位"})

    grid_code: Mapped[str] = mapped_column(
        String(15), ForeignKey("grid.code", ondelete="RESTRICT"), info=HIERARCHICAL,
        comment="网格编码"
    )
    name: Mapped[str] = mapped_column(String(200), index=True, comment="名称")
    kind: Mapped[OrganizationKind] = mapped_column(
        enum_column_type(OrganizationKind), index=True, comment="类型"
    )
    credit_code: Mapped[str | None] = mapped_column(
        String(18), unique=True, comment="统一社会信用代码"
    )
    legal_person: Mapped[str | None] = mapped_column(String(50), comment="负责人")
    phone: Mapped[str | None] = mapped_column(String(30), comment="联系电话")
    address: Mapped[str | None] = mapped_column(String(200), comment="地址")
    employees: Mapped[int | None] = mapped_column(Integer, comment="从业人数")
    risk_grade: Mapped[RiskGrade | None] = mapped_column(
        enum_column_type(RiskGrade), index=True, comment="安全风险等级"
    )
    is_key_supervised: Mapped[bool] = mapped_column(Boolean, default=False, comment="重点监管")
    lat: Mapped[float | None] = mapped_column(Float, comment="纬度")
    lng: Mapped[float | None] = mapped_column(Float, comment="经度")
