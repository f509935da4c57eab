"""``flask --app app kesu …``: set up the database, create users, load demo data."""
from __future__ import annotations

import secrets
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from sqlalchemy import select

from kesu.audit import acting_as
from kesu.choices import ROLE
from kesu.extensions import db
from kesu.models import Department, User
from kesu.passwords import password_problem
from kesu.seed import load_defaults
from kesu.timeutil import format_local
from kesu.usernames import normalise_username, username_problem

kesu_cli = AppGroup("kesu", help="kesu 管理命令")


@kesu_cli.command("init")
def init_command() -> None:
    """Migrate the database to the newest schema and load default reference data (idempotent)."""
    upgrade()
    with acting_as(None, "kesu init"):
        added = load_defaults(db.session)
        db.session.commit()
    click.echo("数据库已是最新结构。新增默认数据：" + "，".join(f"{k} {v}" for k, v in added.items()))


def create_user(username: str, role: str, password: str, department: str | None = None,
                limit: Decimal | None = None, full_name: str = "") -> User:
    """Create a staff account; raises ``click.UsageError`` with a Chinese message on bad input."""
    if role not in ROLE:
        raise click.UsageError(f"未知角色 {role}，可选：{', '.join(ROLE.keys)}")
    username = normalise_username(username)
    problem = username_problem(db.session, username) or password_problem(password, username, full_name)
    if problem:
        raise click.UsageError(problem)
    dept = None
    if department:
        dept = db.session.scalar(select(Department).where(Department.name == department))
        if dept is None:
            raise click.UsageError(f"部门 {department} 不存在")
    if role == "handler" and dept is None:
        raise click.UsageError("责任部门处理人必须指定 --department")
    user = User(username=username, role=role, department=dept, approval_limit=limit or Decimal("0"),
                full_name=full_name)
    user.set_password(password)
    db.session.add(user)
    return user


@kesu_cli.command("create-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLE.keys), help="角色")
@click.option("--password", required=True, help="密码：至少 10 位，不含用户名，不是常见密码")
@click.option("--department", default=None, help="部门名称")
@click.option("--limit", "limit_text", default="0", help="授权额度（元）")
@click.option("--full-name", default="", help="姓名")
def create_user_command(username, role, password, department, limit_text, full_name) -> None:
    """Create a staff account."""
    try:
        limit = Decimal(limit_text)
    except InvalidOperation as exc:
        raise click.UsageError(f"授权额度不是有效金额：{limit_text}") from exc
    if limit < 0:
        raise click.UsageError("授权额度不能为负数")
    with acting_as(None, "kesu create-user"):
        create_user(username, role, password, department, limit, full_name)
        db.session.commit()
    click.echo(f"已创建用户 {username}（{ROLE.label(role)}）")


def admin_password_file() -> Path:
    return Path(current_app.instance_path) / "admin_password"


@kesu_cli.command("admin-login")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="where the server listens")
def admin_login_command(url: str) -> None:
    """Create the ``admin`` account with a random password the first time; print its login."""
    path = admin_password_file()
    user = db.session.scalar(select(User).where(User.username == "admin"))
    if user is None:
        password = secrets.token_urlsafe(12)
        with acting_as(None, "kesu admin-login"):
            create_user("admin", "admin", password, full_name="系统管理员")
            db.session.commit()
        path.write_text(password)
        path.chmod(0o600)
    if path.exists():
        click.echo(f"登录地址 {url.rstrip('/')}/login  用户名 admin  密码 {path.read_text().strip()}")
    else:
        click.echo("用户 admin 已存在（密码由管理员自行设置，未保存在 instance/ 中）")


@kesu_cli.command("demo")
@click.option("--cases", default=200, show_default=True, help="案件数量")
@click.option("--once", is_flag=True, help="已加载过演示数据时不再加载")
@click.option("--seed", default=20261123, show_default=True, help="随机种子（同一种子生成相同数据）")
def demo_command(cases: int, once: bool, seed: int) -> None:
    """Load deterministic, realistic Chinese demo data."""
    from kesu.demo import already_loaded, load_demo

    if once and already_loaded(db.session):
        click.echo("演示数据已加载，跳过。")
        return
    if cases < 1:
        raise click.UsageError("案件数量至少为 1")
    path = admin_password_file()
    password = path.read_text().strip() if path.exists() else secrets.token_urlsafe(12)
    started = time.perf_counter()
    with acting_as(None, "kesu demo"):
        counts = load_demo(db.session, cases=cases, seed=seed, password=password)
        db.session.commit()
    elapsed = time.perf_counter() - started
    click.echo("已加载演示数据（%.1f 秒）：" % elapsed + "，".join(f"{k} {v}" for k, v in counts.items()))
    if counts.get("users"):
        click.echo("演示账号 kefu（客服）、zhiliang（质量部处理人）、zhuguan（主管）、jingli（经理）、caiwu（财务）、"
                   "shenji（审计）等的密码与 admin 相同" if path.exists() else f"演示账号密码：{password}")


@kesu_cli.command("check-sla")
@click.option("--dry-run", is_flag=True, help="只列出超时记录，不升级")
def check_sla_command(dry_run: bool) -> None:
    """List overdue cases and claims and escalate each one level (one transaction, audited)."""
    from kesu.models import Case, Claim
    from kesu.sla import escalate_overdue, overdue

    if dry_run:
        records = overdue(Case) + overdue(Claim)
        for record in records:
            click.echo(f"{_record_no(record)}\t{record.status}\t截止 {format_local(record.next_due_at)}")
        click.echo(f"超时记录 {len(records)} 条（未升级）。")
        return
    with acting_as(None, "kesu check-sla"):
        escalations = escalate_overdue()
        db.session.commit()
    for item in escalations:
        click.echo(f"{_record_no(item.record)}\t截止 {format_local(item.was_due)}\t→ 升至 {item.level} 级，"
                   f"新截止 {format_local(item.next_due)}")
    click.echo(f"超时记录 {len(escalations)} 条，已全部升级。")


@kesu_cli.command("verify-audit")
def verify_audit_command() -> None:
    """Walk the audit trail's hash chain and report the first broken link (exit status 1 if there is one).
    The result goes on the trail, where the audit view shows it."""
    from kesu.audit_verification import verify_and_record

    with acting_as(None, "verify-audit"):
        report = verify_and_record(db.session)
        db.session.commit()
    click.echo(report.sentence())
    if not report.intact:
        raise SystemExit(1)


def _redis_or_refuse():
    from redis import Redis

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.UsageError("KESU_REDIS_URL 未设置：没有 Redis 时后台任务在网页进程内运行，不需要 worker 或 scheduler。")
    return Redis.from_url(url)


@kesu_cli.command("worker")
@click.option("--burst", is_flag=True, help="处理完队列中的任务即退出")
def worker_command(burst: bool) -> None:
    """Process background jobs from Redis (start as many as needed, on any machine). Abandoned jobs — their
    worker died — are handed to the queue again first."""
    from rq import Queue, Worker

    from kesu.jobs.engine import QUEUE
    from kesu.jobs.runner import requeue_abandoned

    connection = _redis_or_refuse()
    again = requeue_abandoned()
    if again:
        click.echo(f"重新排入中断的任务：{', '.join(map(str, again))}")
    db.session.remove()
    db.engine.dispose()  # each job's work horse is a fork: it opens its own connections
    Worker([Queue(QUEUE, connection=connection)], connection=connection).work(burst=burst)


@kesu_cli.command("scheduler")
def scheduler_command() -> None:
    """Enqueue the periodic work (SLA check, maintenance) with RQ's cron scheduler; run one per installation."""
    from rq.cron import CronScheduler

    from kesu.jobs import periodic

    scheduler = CronScheduler(connection=_redis_or_refuse())
    periodic.register(scheduler)
    scheduler.start()


@kesu_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
def backup_command(path: str) -> None:
    """Write one archive of the database and every stored file, with SHA-256 sums, while the app keeps serving."""
    from kesu.backup import BackupError, write_backup

    try:
        summary = write_backup(path)
    except BackupError as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"已备份到 {path}：{summary.engine} 数据库（结构版本 {summary.revision}），文件 {summary.files} 个，"
               f"共 {summary.bytes / 1024 / 1024:.1f} MB，用时 {summary.seconds:.1f} 秒")


@kesu_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--check-only", is_flag=True, help="只核对备份的完整性（SHA-256），不恢复")
def restore_command(path: str, check_only: bool) -> None:
    """Restore a backup into an empty database and an empty file store, after checking every part."""
    from kesu.backup import BackupError, restore_backup, verify

    try:
        if check_only:
            manifest = verify(path)
            click.echo(f"备份完整：{len(manifest['parts'])} 个部分的 SHA-256 均与清单一致（{manifest['created_at']}）")
            return
        summary = restore_backup(path)
    except BackupError as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"已恢复 {path}：{summary.engine} 数据库（结构版本 {summary.revision}），文件 {summary.files} 个，"
               f"用时 {summary.seconds:.1f} 秒。请运行 flask --app app kesu verify-audit 核验审计链。")


def _record_no(record) -> str:
    return getattr(record, "case_no", None) or getattr(record, "claim_no", "")
