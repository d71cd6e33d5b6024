"""Chinese first, English on request: the panel's own words and SQLAdmin's.

SQLAdmin ships no Chinese catalogue, so ours is registered under the locale `zh` next to its
own; the language switcher (`?lang=en`, remembered in a cookie) offers 中文 and English.
The browser's Accept-Language is deliberately not consulted: staff use shared machines whose
browsers are often set to English, and the panel's users read Chinese.

Labels of views, columns and fields are `Text(zh, en)` objects that render in the language of
the request being served.
"""

from __future__ import annotations

import io
import re

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import Translations
from markupsafe import escape
from sqladmin import i18n as sqladmin_i18n
from sqladmin.i18n import I18nConfig, get_locale

ZH = "zh"
EN = "en"

# SQLAdmin's messages (sqladmin/translations/admin.pot) and ours, in Chinese.
MESSAGES = {
    "List": "列表", "Details": "详情", "Create": "新建", "Edit": "编辑", "Delete": "删除",
    "Export": "导出", "Import": "导入", "Access": "访问", "Page": "页面", "Permissions": "权限",
    "You are not allowed to grant: %(permissions)s": "您无权授予: %(permissions)s",
    "New %(name)s": "新建%(name)s", "Cancel": "取消", "Save": "保存",
    "Save and continue editing": "保存并继续编辑", "Save and add another": "保存并新建下一条",
    "Column": "字段", "Value": "值", "Go Back": "返回", "Edit %(name)s": "编辑%(name)s",
    "Save as new": "另存为新记录", "Logout": "退出登录", "Language": "语言",
    "Import CSV": "导入 CSV",
    "You are not authorized to view these records.": "您无权查看这些记录。",
    "Actions": "操作", "Delete selected items": "删除所选", "Search": "搜索",
    "Select all": "全选", "Select item": "选择", "View": "查看",
    "Showing %(start)s to %(end)s of %(count)s items": "第 %(start)s–%(end)s 条, 共 %(count)s 条",
    "prev": "上一页", "next": "下一页", "Show": "每页", "%(size)s / Page": "%(size)s 条/页",
    "Filters": "筛选", "Login to %(title)s": "登录 %(title)s", "Username": "用户名",
    "Enter username": "请输入用户名", "Password": "密码", "Login": "登录", "Close": "关闭",
    "Done": "完成", "Clear filter": "清除筛选", "Apply Filter": "应用筛选",
    "Please confirm": "请确认", "Yes": "确定", "Choose CSV file": "选择 CSV 文件",
    "No file selected": "未选择文件", "Skip invalid rows and continue import": "跳过无效行继续导入",
    "Import progress": "导入进度",
    "%(processed)s/%(total)s rows processed": "已处理 %(processed)s/%(total)s 行",
    "Import result": "导入结果", "Missed rows": "未导入的行", "Download CSV": "下载 CSV",
    "Download TXT": "下载 TXT", "Refresh list": "刷新列表",
    "Invalid credentials.": "用户名或密码错误。",
}


def _catalog() -> Translations:
    catalog = Catalog(locale="zh_Hans_CN", domain="admin")
    for english, chinese in MESSAGES.items():
        catalog.add(english, chinese)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain="admin")


def install() -> I18nConfig:
    """Register the Chinese catalogue with SQLAdmin; returns the panel's language settings."""
    if ZH not in sqladmin_i18n.SUPPORTED_LOCALES:
        sqladmin_i18n.SUPPORTED_LOCALES.append(ZH)
        sqladmin_i18n.translations[ZH] = _catalog()
    return I18nConfig(default_locale=ZH, language_cookie_name="gridlink_lang",
                      language_header_name=None, language_switcher=[ZH, EN])


def english() -> bool:
    return get_locale() == EN


def html_lang() -> str:
    """The page's `lang`: what screen readers, fonts and the browser's own words follow."""
    return EN if english() else "zh-CN"


class Text(str):
    """A label in both languages; renders in the request's. Subclassing str keeps SQLAdmin's
    string handling (sorting, joining, f-strings) working; `str()` gives the current language."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str) -> Text:
        obj = super().__new__(cls, zh)
        obj.zh, obj.en = zh, en
        return obj

    def __str__(self) -> str:
        return self.en if english() else self.zh

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def say(zh: str, en: str) -> str:
    """A message in the request's language."""
    return en if english() else zh


def humanize(name: str) -> str:
    """English label from a field name: id_number -> Id number."""
    words = re.sub(r"_+", " ", name).strip()
    return words[:1].upper() + words[1:]
