"""Documents of the patient file: checked on the way in, access-controlled and audited.

Only PDF, PNG and JPEG are accepted, and the bytes must be what the name and
type claim (a script renamed .pdf is refused): staff open these files on
hospital workstations.
"""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import bindparam, select

from server.clock import utcnow
from server.extensions import db
from server.i18n import gettext as _
from server.models import Document, DocumentKind, Patient, User
from server.services.access import READ, WRITE, get_patient, visible_patients
from server.services.audit import record_access
from server.services.errors import Invalid, NotFound
from server.services.transactions import read_use_case, use_case

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# Content type -> the bytes a file of that type starts with.
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}
EXTENSIONS = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg",
              ".jpeg": "image/jpeg"}


def _content_type(filename: str, content: bytes) -> str:
    """The file's type from its name, checked against its first bytes."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    content_type = EXTENSIONS.get(suffix)
    if content_type is None:
        raise Invalid(_("Invalid request:"), "document_type", {"file": [
            _("Only PDF, PNG or JPEG files are accepted.")]})
    if not content.startswith(SIGNATURES[content_type]):
        raise Invalid(_("Invalid request:"), "document_content", {"file": [
            _("This file is not the %(type)s its name says.", type=suffix[1:].upper())]})
    return content_type


def _safe_name(filename: str) -> str:
    """The file's own name, without a path, with only plain characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:200] or "document"


@use_case
def add_document(user: User, patient_id: int, *, kind: DocumentKind | str, title: str,
                 filename: str, content: bytes) -> Document:
    """Attach a file to the patient's record; audited as a write. Commits."""
    patient = get_patient(user, patient_id, WRITE)
    errors: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        errors["title"] = [_("Give a title of 1 to 200 characters.")]
    if not content:
        errors["file"] = [_("Choose a file.")]
    elif len(content) > MAX_DOCUMENT_BYTES:
        errors["file"] = [_("The file is over %(mb)d MB.", mb=MAX_DOCUMENT_BYTES // 2**20)]
    if errors:
        raise Invalid(_("Invalid request:"), "invalid_document", errors)
    document = file_document(user, patient.id, DocumentKind(kind), title, filename, content)
    record_access(user, WRITE, "document", [patient.id], document.id)
    return document


def file_document(user: User, patient_id: int, kind: DocumentKind, title: str,
                  filename: str, content: bytes) -> Document:
    """Store a checked file in the patient's record (the caller's transaction and audit)."""
    document = Document(
        patient_id=patient_id, kind=kind, title=title[:200],
        filename=_safe_name(filename), content_type=_content_type(filename, content),
        size=len(content), sha256=hashlib.sha256(content).hexdigest(), content=content,
        uploaded_by_id=user.id, uploaded_at=utcnow())
    db.session.add(document)
    db.session.flush()
    return document


# Built once (the patient file reads them on every view), the patient as parameter.
_PATIENT_DOCUMENTS = (select(Document).where(Document.patient_id == bindparam("patient_id"))
                      .order_by(Document.uploaded_at.desc(), Document.id.desc()))


def patient_documents(patient_id: int) -> list[Document]:
    """A patient's documents, newest first (the caller has checked access)."""
    return list(db.session.scalars(_PATIENT_DOCUMENTS, {"patient_id": patient_id}))


@read_use_case
def get_document(user: User, patient_id: int, document_id: int) -> Document:
    """A document of this patient's file, whose patient ``user`` may see (404 otherwise);
    audited as a read."""
    document = db.session.scalar(select(Document).where(
        Document.id == document_id, Document.patient_id == patient_id,
        Document.patient_id.in_(visible_patients(user).with_only_columns(Patient.id))))
    if document is None:
        raise NotFound(_("No such document."), "document_not_found")
    record_access(user, READ, "document", [document.patient_id], document.id)
    return document
