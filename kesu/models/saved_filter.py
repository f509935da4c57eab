"""A user's named filter sets, one list each: rerun from the list's menu."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kesu.models.base import Audited, Base, Timestamped


class SavedFilter(Audited, Timestamped, Base):
    """Filters are kept by column and operation, not by Flask-Admin's position in the URL (``flt0_7``), so a
    saved set still means the same after the list gains a filter or the user switches language."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "list_endpoint", "name", name="uq_saved_filter_user_list_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    list_endpoint: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(60))
    #: ``[[filter key, value], ...]`` in the order they were applied; see :mod:`kesu.admin.saved_filters`.
    filters: Mapped[list] = mapped_column(JSON, default=list)
    search: Mapped[str | None] = mapped_column(String(200))
    sort_column: Mapped[str | None] = mapped_column(String(60))
    sort_desc: Mapped[bool] = mapped_column(Boolean, default=False)

    def __str__(self) -> str:
        return self.name
