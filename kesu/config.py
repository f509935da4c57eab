"""Configuration: defaults here, then ``instance/config.py``, then ``KESU_*`` environment variables.

Every key the environment may set is declared once in :data:`VARIABLES` with its kind, range, unit, default and
meaning: :func:`env_overrides` converts and checks ``KESU_*`` at start-up from it (and refuses to start on a bad
value, naming the variable and what it accepts), and the README's table is :func:`variables_table`. Adding a key
is one entry there. Values in ``instance/config.py`` or a test's config are Python values already and are
taken as they are.
"""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kesu.value_types import Boolean, Choice, FilePath, Integer, InvalidValue, RateLimit, Text, Url, ValueType

log = logging.getLogger(__name__)

ENV_PREFIX = "KESU_"
#: Read by the test suite itself (``KESU_TEST_DATABASE_URL``), not by the application.
TEST_PREFIX = "KESU_TEST_"
MB = 1024 * 1024


class Defaults:
    """Configuration the environment does not set."""

    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "简体中文", "en": "English"}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    FLASK_ADMIN_SWATCH = "cerulean"
    FLASK_ADMIN_FLUID_LAYOUT = True
    WTF_CSRF_TIME_LIMIT = None


@dataclass(frozen=True)
class Variable:
    """A configuration key the environment sets as ``KESU_<key>``."""

    key: str
    kind: ValueType
    default: Any
    description: Any
    #: The Flask config key, when it is not ``key`` (``KESU_DATABASE_URL`` → ``SQLALCHEMY_DATABASE_URI``).
    config_key: str | None = None
    #: Never repeated in a message or a log (it holds a password or a key).
    secret: bool = False

    @property
    def name(self) -> str:
        return ENV_PREFIX + self.key

    @property
    def target(self) -> str:
        return self.config_key or self.key


BYTES, SECONDS, MILLISECONDS = _l("字节"), _l("秒"), _l("毫秒")

VARIABLES: tuple[Variable, ...] = (
    Variable("DATABASE_URL", Url(("sqlite", "postgresql+psycopg")), None,
             _l("数据库地址；未设置时为 instance/kesu.sqlite3"), config_key="SQLALCHEMY_DATABASE_URI", secret=True),
    Variable("SECRET_KEY", Text(500), None, _l("会话签名密钥；未设置时生成一次，存于 instance/secret_key"),
             secret=True),
    Variable("FILE_STORE", FilePath(), None, _l("附件与文书的存放目录；未设置时为 instance/files")),
    Variable("BABEL_DEFAULT_LOCALE", Choice(tuple(Defaults.LANGUAGES)), "zh_Hans_CN", _l("默认界面语言")),
    Variable("FORCE_HTTPS", Boolean(), False,
             _l("以 HTTPS 提供服务（直接或经设置 X-Forwarded-Proto 的代理）：http 转到 https，发送 HSTS，Cookie 只经 HTTPS 发送")),
    Variable("SESSION_COOKIE_SECURE", Boolean(), False, _l("会话 Cookie 只经 HTTPS 发送（以 HTTPS 提供服务时打开）")),
    Variable("REMEMBER_COOKIE_SECURE", Boolean(), False, _l("“记住我” Cookie 只经 HTTPS 发送")),
    Variable("MAX_CONTENT_LENGTH", Integer(MB, 1024 * MB, BYTES), 20 * MB, _l("一次请求的最大大小")),
    Variable("ATTACHMENT_MAX_BYTES", Integer(1, 1024 * MB, BYTES), 20 * MB, _l("一个附件的最大大小")),
    Variable("TEMPLATE_MAX_BYTES", Integer(1, 100 * MB, BYTES), 5 * MB, _l("上传的文书模板的最大大小")),
    Variable("TEMPLATE_MAX_UNCOMPRESSED", Integer(1, 1024 * MB, BYTES), 50 * MB,
             _l("文书模板解压后的最大大小（超过视为压缩炸弹）")),
    Variable("TEMPLATE_MAX_RATIO", Integer(1, 10_000), 100, _l("文书模板的最大压缩比")),
    Variable("TEMPLATE_MAX_MEMBERS", Integer(1, 100_000), 500, _l("文书模板压缩包内的最多文件数")),
    Variable("TEMPLATE_RENDER_SECONDS", Integer(1, 600, SECONDS), 5,
             _l("填充一份文书模板（生成和上传时的试填）的最长时间")),
    Variable("TEMPLATE_RENDER_MAX_CHARS", Integer(10_000, 500_000_000, _l("字符")), 5_000_000,
             _l("一份文书填充后 Word XML 的最多字符数（一份长协议约 20 万）")),
    Variable("TEMPLATE_RENDER_MAX_ITERATIONS", Integer(100, 100_000_000), 100_000,
             _l("一份文书填充时所有循环合计的最多次数")),
    Variable("SOFFICE", FilePath(), None, _l("生成 PDF 用的 LibreOffice（soffice）路径；未设置时在 PATH 中查找")),
    Variable("PDF_TIMEOUT_SECONDS", Integer(1, 3600, SECONDS), 120, _l("生成一份 PDF 的最长时间")),
    Variable("SQLITE_BUSY_TIMEOUT_MS", Integer(0, 600_000, MILLISECONDS), 10_000,
             _l("SQLite：等待其他写入结束的最长时间")),
    Variable("PASSWORD_HASH_METHOD", Text(100), "scrypt", _l("密码散列方法（Werkzeug 的写法，如 scrypt）")),
    Variable("PASSWORD_MIN_LENGTH", Integer(8, 128, _l("位")), 10, _l("密码的最短长度")),
    Variable("LOGIN_LIMIT_PER_ACCOUNT", RateLimit(), "5 per 5 minutes",
             _l("同一账号登录失败的次数上限；超过后该账号暂时锁定到时段结束")),
    Variable("LOGIN_LIMIT_PER_ADDRESS", RateLimit(), "20 per 5 minutes",
             _l("同一地址登录失败的次数上限；超过后该地址暂时锁定到时段结束")),
    Variable("LOGIN_LOCK_AFTER", RateLimit(), "3 per hour",
             _l("一再触及上述上限时的长时间锁定：触及次数与时段")),
    Variable("REDIS_URL", Url(("redis", "rediss", "unix")), None,
             _l("Redis 地址；设置后登录失败计数由所有进程和实例共享（未设置时各进程各自计数）"), secret=True),
    Variable("RATELIMIT_KEY_PREFIX", Text(100), None, _l("登录计数在 Redis 中的键前缀（多套 kesu 共用一个 Redis 时区分）")),
    Variable("S3_BUCKET", Text(63), None,
             _l("S3 兼容对象存储的桶名；设置后附件与文书存放在对象存储中（多实例共用），不再存放在 FILE_STORE 目录")),
    Variable("S3_PREFIX", Text(200), None, _l("对象存储中 kesu 文件的键前缀（多套 kesu 共用一个桶时区分）")),
    Variable("S3_ENDPOINT_URL", Url(("http", "https")), None,
             _l("S3 兼容对象存储的地址（MinIO、Ceph、阿里云 OSS 等）；未设置时为 AWS S3")),
    Variable("S3_REGION", Text(50), None, _l("对象存储的区域；未设置时为 us-east-1")),
    Variable("S3_ACCESS_KEY_ID", Text(200), None, _l("对象存储的访问密钥 ID；未设置时按 boto3 的方式查找凭证"),
             secret=True),
    Variable("S3_SECRET_ACCESS_KEY", Text(200), None, _l("对象存储的访问密钥"), secret=True),
    Variable("JOB_KEEP_HOURS", Integer(1, 24 * 365, _l("小时")), 168,
             _l("后台任务完成后保留多久（之后任务和它的结果文件被删除；已生成的文书不受影响）")),
    Variable("JOB_STALE_SECONDS", Integer(5, 3600, SECONDS), 120,
             _l("运行中的后台任务多久没有进展即视为处理进程已停止，交给其他进程继续")),
    Variable("JOB_TIMEOUT_SECONDS", Integer(60, 24 * 3600, SECONDS), 3600, _l("一个后台任务的最长运行时间")),
    Variable("EXPORT_JOB_ROWS", Integer(0, 10_000_000, _l("行")), 20_000,
             _l("导出超过这么多行时由后台任务生成文件（页面显示进度，完成后下载），不在请求中直接下载")),
    Variable("COUNT_EXACT_UP_TO", Integer(0, 10_000_000, _l("行")), 10_000,
             _l("列表在 PostgreSQL 上精确计数的上限；超过时页签显示数据库的估计数（约 N）而不逐行计数，0 为总是精确计数")),
    Variable("SLA_CHECK_CRON", Text(100), "*/15 * * * *",
             _l("定时时限检查的时间（cron 写法，由 kesu scheduler 按此排入任务队列）")),
    Variable("PROXY_HOPS", Integer(0, 5), 0,
             _l("应用前面的反向代理层数；大于 0 时才采信代理的 X-Forwarded-For/-Proto/-Host/-Prefix 头")),
    # Read by gunicorn.conf.py, not by the application.
    Variable("BIND", Text(200), "127.0.0.1:5000", _l("gunicorn 监听的地址和端口（多个用逗号分隔）")),
    Variable("WORKERS", Integer(1, 64), 2, _l("gunicorn 工作进程数（约为 CPU 核数）")),
    Variable("THREADS", Integer(1, 64), 1, _l("每个工作进程的线程数")),
    Variable("TIMEOUT", Integer(10, 3600, SECONDS), 60, _l("一个请求的最长处理时间，超过后工作进程被重启")),
    Variable("ACCESS_LOG", Boolean(), True, _l("gunicorn 输出访问日志（含请求编号）")),
)

BY_NAME = {variable.name: variable for variable in VARIABLES}


class ConfigurationError(RuntimeError):
    """A ``KESU_*`` variable holds a value of the wrong kind: the application does not start."""


def defaults() -> dict[str, Any]:
    """Every default: the fixed ones (:class:`Defaults`) and those of the declared variables."""
    fixed = {key: getattr(Defaults, key) for key in dir(Defaults) if key.isupper()}
    return {**fixed, **{v.target: v.default for v in VARIABLES if v.default is not None}}


def env_overrides(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """The declared ``KESU_*`` variables, converted: ``KESU_SESSION_COOKIE_SECURE=off`` → ``False``.

    A value of the wrong kind raises :class:`ConfigurationError` listing every bad variable with what it accepts;
    an undeclared ``KESU_*`` variable is ignored with a warning (a typo must not pass silently as text);
    ``KESU_TEST_*`` belong to the test suite.
    """
    values: dict[str, Any] = {}
    problems = []
    for name, text in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX) or name.startswith(TEST_PREFIX):
            continue
        variable = BY_NAME.get(name)
        if variable is None:
            log.warning("ignoring %s: kesu does not read this variable (the ones it reads are listed in the README)",
                        name)
            continue
        try:
            values[variable.target] = variable.kind.parse(text)
        except InvalidValue as exc:
            shown = name if variable.secret else f"{name}={text!r}"
            problems.append(_("%(variable)s：%(problem)s", variable=shown, problem=exc))
    if problems:
        raise ConfigurationError(_("环境变量有误，kesu 没有启动：") + "\n" + "\n".join(problems))
    return values


def variables_table() -> str:
    """The README's table of the variables (in the current language)."""
    header = [_("变量"), _("接受的值"), _("默认值"), _("说明")]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for variable in VARIABLES:
        default = variable.kind.with_unit(variable.default) if variable.default is not None else "—"
        cells = [f"`{variable.name}`", variable.kind.accepted(), default, str(variable.description)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def secret_key_for(instance_path: str) -> str:
    """The secret from ``KESU_SECRET_KEY``, or one generated once and kept in ``instance/secret_key``."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def default_database_uri(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "kesu.sqlite3")
