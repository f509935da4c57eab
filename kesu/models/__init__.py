"""All models, importable from one place: ``from kesu.models import Case``."""
from kesu.models.accountability import Accountability
from kesu.models.audit import AuditEvent
from kesu.models.base import Base
from kesu.models.case import Attachment, Case, Category, ContactLog, GoodsHold
from kesu.models.claim import Approval, Claim, LossItem, Payment
from kesu.models.customer import Customer
from kesu.models.documents import DocumentTemplate, GeneratedDocument
from kesu.models.jobs import Job
from kesu.models.people import Department, User
from kesu.models.saved_filter import SavedFilter
from kesu.models.settings import Holiday, NumberSequence, Setting, SlaRule

__all__ = [
    "Accountability", "Approval", "Attachment", "AuditEvent", "Base", "Case", "Category", "Claim",
    "ContactLog", "Customer", "Department", "DocumentTemplate", "GeneratedDocument", "GoodsHold", "Holiday", "Job",
    "LossItem", "NumberSequence", "Payment", "SavedFilter", "Setting", "SlaRule", "User",
]
