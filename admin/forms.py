"""Panel forms built from the API's own input schemas, so a field means the same in both.

A form only collects and shapes what the user typed (text to numbers, dates, lists, JSON); the
checks that matter (ID-number checksum, codes, GeoJSON, scope, uniqueness, references) run in
the CRUD service when the row is written, and its messages are put back next to their fields.

Foreign keys are searchable pickers (select2 over the panel's lookup route), scoped like every
list: a grid chief's grid picker offers only their grids and starts on their own.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel
from pypinyin import Style, lazy_pinyin
from sqlalchemy import String, and_, cast, or_, select, true
from starlette.concurrency import run_in_threadpool
from wtforms import Form, fields, validators, widgets
from wtforms.widgets import html_params

from admin import csrf
from admin.auth import current_user
from admin.i18n import Text, humanize, say
from backend.core.crud import REGISTRY, EntitySpec
from backend.core.db import BEIJING
from backend.core.errors import CHOICES_PREFIX
from backend.core.labels import LabeledEnum
from backend.ledgers.models import Building, Household
from rbac.scope import scope_condition

# The form of the request being served: the write reports the service's field errors into it.
_current_form: ContextVar[PanelForm | None] = ContextVar("gridlink_panel_form", default=None)


class PanelForm(Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _current_form.set(self)

    def hidden_tag(self) -> Markup:
        """What SQLAdmin's form macro renders first: the hidden fields and the session's token
        (admin/csrf.py), so every form the panel renders carries it."""
        hidden = [field() for field in self
                  if getattr(field.widget, "input_type", None) == "hidden"]
        return Markup("").join([*hidden, csrf.hidden_input()])


def report_errors(errors: list[tuple[str, str]]) -> list[str]:
    """Put the service's messages next to their fields; returns those with no field here."""
    form = _current_form.get()
    unplaced = []
    for name, msg in errors:
        top = name.split(".")[0]
        field = form._fields.get(top) if form is not None else None
        if field is None:
            unplaced.append(f"{name}: {msg}")
            continue
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        choices = getattr(field, "choices", None)
        if msg.startswith(CHOICES_PREFIX) and choices:  # the labels people pick, not values
            msg = CHOICES_PREFIX + "、".join(str(label) for value, label in choices if value)
        field.errors.append(msg)
    return unplaced


# --- the types the API's schemas use, seen through Optional and Annotated --------------------


def _unwrap(annotation: Any) -> Any:
    """The base type of an annotation such as Optional[Annotated[str, ...]]."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _enum_choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return [(m.value, Text(m.label, m.value) if isinstance(m, LabeledEnum) else m.value)
            for m in enum_cls]


# --- searchable pickers over the panel's lookup route ----------------------------------------

SEARCHED = ("code", "name", "title", "room", "head_name", "username", "display_name", "address",
            "url")


# Searched by prefix (people type the start of a name, an ID number, a code): answered from the
# column's index. Other text (addresses, titles) is searched anywhere in it.
PREFIX_SEARCHED = {"code", "name", "username", "id_number", "phone", "grid_code"}


def clean_term(term: str) -> str:
    """What is typed into a search box, as a search (no control character gets this far:
    backend/api/input_guard.py)."""
    return term.strip()[:100]


def search_condition(column, term: str):
    if column.name not in PREFIX_SEARCHED:
        return cast(column, String).ilike(f"%{_escape_like(term)}%", escape="\\")
    if not term:
        return true()
    # A range the b-tree answers (exact under binary/C collation), and LIKE to keep it exact
    # under any other.
    prefix = column.like(f"{_escape_like(term)}%", escape="\\")
    if ord(term[-1]) >= 0x10FFFF:
        return prefix
    return and_(column >= term, column < term[:-1] + chr(ord(term[-1]) + 1), prefix)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _best_named(rows: list[Any], key: str, term: str) -> list[Any]:
    """Rows whose code starts with the term or whose name matches it: the exact code first,
    then names that start with it, then the rest, each in code order."""
    if not term:
        return rows

    def rank(row: Any) -> int | None:
        code, name = str(getattr(row, key)), str(getattr(row, "name", "") or "")
        if code == term:
            return 0
        if code.startswith(term) or name.startswith(term):
            return 1
        return name_match(name, term)

    ranked = [(r, row) for row in rows if (r := rank(row)) is not None]
    return [row for _, row in sorted(ranked, key=lambda pair: pair[0])]


def describe(spec: EntitySpec, row: Any) -> str:
    """A picked row as people name it: 环卫处 (HW01); a household as 3号楼 1单元101 刘志强."""
    if spec.name == "households":
        return household_words(row)
    name = getattr(row, "name", None)
    code = getattr(row, "code", None)
    if name and code:
        return f"{name} ({code})"
    parts = [str(getattr(row, n)) for n in SEARCHED if getattr(row, n, None) not in (None, "")]
    return " ".join(parts[:3]) or f"#{row.id}"


def household_words(household: Any) -> str:
    building = getattr(household, "building_name", None)
    return " ".join(p for p in (building, household.room, household.head_name) if p)


@lru_cache(maxsize=200_000)
def initials(name: str) -> str:
    """The pinyin initials of a name, as people type them for short: 环境卫生管理处 → hjwsglc."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()


def name_match(name: str, term: str) -> int | None:
    """How well a name answers what was typed: 2 when the term stands in it whole (or in its
    pinyin initials: `hjws` finds 环境卫生管理处), 3 when its characters stand in it in order,
    as Chinese abbreviations are made (环卫 and hw find 环境卫生管理处, 城管 finds
    城市管理综合执法大队); None when not at all."""
    lowered, name = term.lower(), name.lower()
    spelled = initials(name) if lowered.isascii() else ""
    if lowered in name or (spelled and lowered in spelled):
        return 2
    if _in_order(lowered, name) or (spelled and _in_order(lowered, spelled)):
        return 3
    return None


def _in_order(term: str, text: str) -> bool:
    rest = iter(text)
    return all(char in rest for char in term if not char.isspace())


# Reference tables are a few thousand rows at most: their pickers match names anywhere and by
# pinyin initials, in Python over the user's rows. The ledgers' pickers (hundreds of thousands
# of rows) match in SQL: a code or name by its start, an address or a room anywhere.
NAMED_REFERENCE = {"areas", "grids", "departments", "case-categories"}


class ScopedLookup:
    """What SQLAdmin's ajax route asks for a picker: rows of `target` the user may read."""

    def __init__(self, database, target: EntitySpec, key: str) -> None:
        self.database, self.target, self.key = database, target, key

    def _readable(self, caller) -> Any:
        """The target's rows the caller may read (None: none at all)."""
        principal = caller.principal
        if principal is not None and not principal.can(self.target.name, "read"):
            return None
        stmt = select(self.target.model)
        scope = scope_condition(principal, self.target, "read") if principal else None
        return stmt if scope is None else stmt.where(scope)

    def _rows(self, caller, term: str, limit: int = 20) -> list[Any]:
        stmt = self._readable(caller)
        if stmt is None:
            return []
        model = self.target.model
        key = model.__table__.c[self.key]
        if self.target.name in NAMED_REFERENCE:
            with self.database.session() as session:
                rows = list(session.execute(stmt.order_by(key)).scalars())
            return _best_named(rows, self.key, term)[:limit]
        if self.target.name == "households":
            return self._households(stmt.order_by(key), term, limit)
        columns = [model.__table__.c[n] for n in SEARCHED if n in model.__table__.c]
        stmt = stmt.where(or_(cast(key, String) == term,
                              *(search_condition(c, term) for c in columns)))
        with self.database.session() as session:
            return list(session.execute(stmt.order_by(key).limit(limit)).scalars())

    def _households(self, stmt: Any, term: str, limit: int) -> list[Any]:
        """Households as offices write them, 3号楼 1单元101 刘志强: every word typed must be
        found in the building's name or address, the room, or the head's name."""
        for word in term.split():
            stmt = stmt.where(or_(
                Household.room.contains(word, autoescape=True),
                Household.head_name.contains(word, autoescape=True),
                Household.building_id.in_(select(Building.id).where(or_(
                    Building.name.contains(word, autoescape=True),
                    Building.address.contains(word, autoescape=True))))))
        with self.database.session() as session:
            rows = list(session.execute(stmt.limit(limit)).scalars())
            buildings = dict(session.execute(select(Building.id, Building.name).where(
                Building.id.in_({r.building_id for r in rows}))).tuples().all())
        for row in rows:
            row.building_name = buildings.get(row.building_id)  # for describe()
        return rows

    async def get_list(self, request, term: str) -> list[Any]:
        return await run_in_threadpool(self._rows, request.state.panel_user.caller,
                                       clean_term(term))

    def format(self, row: Any) -> dict[str, Any]:
        return {"id": getattr(row, self.key), "text": describe(self.target, row)}

    def label_for(self, caller, value: Any) -> dict[str, Any] | None:
        """The words for the value a form already holds (an edited row's household)."""
        stmt = self._readable(caller)
        if stmt is None:
            return None
        key = self.target.model.__table__.c[self.key]
        try:
            typed = int(value) if key.type.python_type is int else str(value)
        except ValueError:
            return None
        stmt = stmt.where(key == typed)
        if self.target.name == "households":
            rows = self._households(stmt, "", 1)
        else:
            with self.database.session() as session:
                rows = list(session.execute(stmt.limit(1)).scalars())
        return self.format(rows[0]) if rows else None


class LookupWidget:
    """A select2 picker: options come from the lookup route as the user types."""

    async def __call__(self, field: LookupField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        kwargs["data-role"] = "select2-ajax"
        kwargs["data-allow-blank"] = "1" if field.allow_blank else ""
        kwargs["placeholder"] = say("输入关键字搜索", "Type to search")
        kwargs["style"] = "width: 100%"  # select2 takes the width of the element it replaces
        if field.multiple:
            kwargs["multiple"] = True
        values = field.data if isinstance(field.data, list) else [field.data]
        values = [v for v in values if v not in (None, "")]
        if values:
            caller = current_user().caller

            def words() -> list[dict[str, Any]]:
                return [field.loader.label_for(caller, v) or {"id": v, "text": str(v)}
                        for v in values]

            shown = await run_in_threadpool(words)
            kwargs["data-json"] = json.dumps(shown, ensure_ascii=False)
        return Markup(f"<select {html_params(name=field.name, **kwargs)}></select>")


class LookupField(fields.Field):
    # Async: SQLAdmin's templates await a widget's rendering; WTForms' stubs know only
    # synchronous widgets.
    widget = LookupWidget()  # type: ignore[assignment]

    def __init__(self, label=None, validators=None, *, loader: ScopedLookup,
                 allow_blank: bool = True, integer: bool = False, multiple: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.loader, self.allow_blank, self.integer = loader, allow_blank, integer
        self.multiple = multiple

    def process_formdata(self, valuelist: list[str]) -> None:
        if self.multiple:  # several picked (the departments summoned): a list of codes
            self.data = [v.strip() for v in valuelist if v.strip() not in ("", "__None")]
            return
        raw = valuelist[0].strip() if valuelist else ""
        if raw in ("", "__None"):
            self.data = None
        elif self.integer:
            try:
                self.data = int(raw)
            except ValueError:
                self.data = None
                raise ValueError(say("请选择有效的记录", "Choose a valid record")) from None
        else:
            self.data = raw


class JSONField(fields.TextAreaField):
    """GeoJSON boundaries and member lists: edited as JSON text, checked by the service."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return json.dumps(self.data, ensure_ascii=False, indent=1) if self.data is not None else ""

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        if not text:
            self.data = None
            return
        try:
            self.data = json.loads(text)
        except ValueError as exc:
            self.data = None
            raise ValueError(say(f"不是有效的 JSON: {exc}", f"Not valid JSON: {exc}")) from None


class BlankIsNone(fields.StringField):
    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = self.data.strip() or None


# --- building a form class ----------------------------------------------------------------


def label_for(spec: EntitySpec, name: str, info: Any = None) -> Text:
    column = spec.model.__table__.c.get(name)
    zh = (column.comment if column is not None and column.comment else None) or (
        info.title if info is not None and info.title else None) or (
        info.description.split(",")[0] if info is not None and info.description else name)
    return Text(zh, humanize(name))


def lookups_for(database, spec: EntitySpec) -> dict[str, ScopedLookup]:
    """A picker per foreign key of the entity (grid_code → grids, household_id → households)."""
    lookups = {}
    for column in spec.model.__table__.columns:
        if not column.foreign_keys:
            continue
        target_column = next(iter(column.foreign_keys)).column
        for candidate in REGISTRY.values():
            if candidate.model.__table__ is target_column.table:
                lookups[column.name] = ScopedLookup(database, candidate, target_column.name)
    return lookups


class CommaListField(fields.StringField):
    """A short list (department codes, photo links) typed as one line, comma separated."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0] if valuelist else ""
        # A list, where a StringField (whose input and rendering this keeps) holds a str.
        parts = [part.strip() for part in text.replace("，", ",").split(",")]
        self.data = [part for part in parts if part]  # type: ignore[assignment]


def field_for(spec: EntitySpec, name: str, info: Any, required: bool, default: Any,
              lookups: dict[str, ScopedLookup]) -> Any:
    """One WTForms field for one input field of the API's schema, styled like SQLAdmin's."""
    field = _field_for(spec, name, info, required, default, lookups)
    css = {fields.BooleanField: "form-check-input", fields.SelectField: "form-select",
           fields.SelectMultipleField: "form-select"}.get(field.field_class, "form-control")
    field.kwargs["render_kw"] = {"class": css} | (field.kwargs.get("render_kw") or {})
    return field


def _field_for(spec: EntitySpec, name: str, info: Any, required: bool, default: Any,
               lookups: dict[str, ScopedLookup]) -> Any:
    base = _unwrap(info.annotation)
    label = label_for(spec, name, info)
    checks = [validators.InputRequired()] if required and base is not bool else [
        validators.Optional()]
    description = info.description or ""
    if name in lookups:
        many = typing.get_origin(base) is list
        return LookupField(label, checks, loader=lookups[name], allow_blank=not required,
                           integer=base is int, multiple=many, default=default,
                           description=description)
    if isinstance(base, type) and issubclass(base, enum.Enum):
        # A choice with a default (居住类型: 户籍) starts on it and has no blank to fall to.
        blank = [] if required or default is not None else [("", "—")]
        return fields.SelectField(label, checks, choices=blank + _enum_choices(base),
                                  default=default, coerce=lambda v: v or None,
                                  description=description)
    if typing.get_origin(base) is list:
        (item,) = typing.get_args(base) or (str,)
        item = _unwrap(item)
        if isinstance(item, type) and issubclass(item, enum.Enum):
            return fields.SelectMultipleField(label, [validators.Optional()],
                                              choices=_enum_choices(item), default=default or [],
                                              description=description)
        if item is str:
            return CommaListField(label, checks, description=description)
        return JSONField(label, [validators.Optional()], description=description)
    if base is dict or typing.get_origin(base) is dict or (
            isinstance(base, type) and issubclass(base, BaseModel)):
        return JSONField(label, checks, description=description)
    if base is bool:
        return fields.BooleanField(label, [validators.Optional()], default=default)
    if base is int:
        return fields.IntegerField(label, checks, default=default, description=description)
    if base is float:
        return fields.FloatField(label, checks, default=default, description=description)
    if base is dt.datetime:
        return fields.DateTimeLocalField(label, checks, default=default,
                                         format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"],
                                         description=description)
    if base is dt.date:
        return fields.DateField(label, checks, default=default, description=description)
    if name in ("description", "note", "content", "findings", "route", "review_note"):
        return fields.TextAreaField(label, checks, default=default, description=description,
                                    widget=widgets.TextArea())
    if name == "password":
        return fields.PasswordField(label, checks, description=description)
    return BlankIsNone(label, checks, default=default, description=description)


def _preset(info: Any, given: Any) -> Any:
    """What a new form's field starts with: the caller's default (the chief's grid), else the
    schema's own (发现问题数 0, 居住类型 户籍), so that a field left as it stands means it."""
    if given is not None or info.is_required():
        return given
    default = info.get_default(call_default_factory=True)
    return default if isinstance(default, str | int | float | enum.Enum) else None


def build_form(spec: EntitySpec, schema: type[BaseModel], names: list[str],
               defaults: dict[str, Any], lookups: dict[str, ScopedLookup]) -> type[PanelForm]:
    """A form class over `names` of `schema` (the API's input schema of the entity or action)."""
    attrs = {
        name: field_for(spec, name, schema.model_fields[name],
                        schema.model_fields[name].is_required(),
                        _preset(schema.model_fields[name], defaults.get(name)), lookups)
        for name in names
    }
    return type(f"{schema.__name__}Form", (PanelForm,), attrs)


def to_payload(form_data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """Form values to the API's input: empty text is no value; enums stay their values."""
    payload = {}
    for name in names:
        value = form_data.get(name)
        if isinstance(value, str) and value.strip() == "":
            value = None
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=BEIJING)  # what a 北京时间 form field means
        payload[name] = value
    return payload


def form_value(value: Any) -> Any:
    """A stored value as an edit form shows it: times in Beijing, as its fields take them."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(BEIJING).replace(tzinfo=None)
    return value
