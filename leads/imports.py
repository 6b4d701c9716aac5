"""CSV import: the upload is kept in the database in ~1 MB chunks, a Celery task streams it back.

Why chunks in the database: any worker on any machine can read the file, and neither the web
process nor the worker ever holds the whole file in memory. The task feeds the chunks through an
incremental UTF-8 decoder into the csv module one line at a time and captures each row through
`lead_capture_rows` a batch at a time, so an imported lead is deduplicated, validated and recorded
exactly like one typed into the form, in a few statements a batch. A bad row is reported with its
line number and never stops the good ones.
"""

import codecs
import csv
import io
import logging
import re
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone

from alignment.enqueue import task_send
from alignment.errors import DomainError, InvalidInput, NotAllowed, NotFound
from alignment.models import Role, User
from alignment.spreadsheets import csv_safe
from leads.capture import lead_capture_rows
from leads.models import (
    LEAD_DATA_FIELDS,
    Campaign,
    CaptureChannel,
    ImportChunk,
    ImportJob,
    ImportStatus,
    Lead,
    LeadStatus,
    Touch,
)

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
# Rows captured per transaction, and how often the job's progress is written.
BATCH_ROWS = 1000
ERRORS_KEPT = 500
# A failed row's cells are kept for its report up to this length each (a lead's notes at most).
FAILED_CELL_CHARS = 10_000
MAX_LINE_CHARS = 1_000_000
# PostgreSQL advisory locks are (namespace, key) pairs: this namespace is the import's.
RUN_LOCK_NAMESPACE = 7301
# The task that runs one import (`leads.tasks`), sent by name.
IMPORT_JOB_RUN_TASK = "leads.tasks.import_job_run"

# `source` overrides the campaign's, as in any capture.
COLUMNS = (*LEAD_DATA_FIELDS, "source")
# Header spellings spreadsheets commonly use, after lower-casing and turning spaces into "_".
ALIASES = {
    "e-mail": "email",
    "e_mail": "email",
    "email_address": "email",
    "full_name": "name",
    "job_title": "title",
    "vertical": "industry",
    "value": "estimated_value",
    "pain_point": "pain_points",
}


class ImportTooLarge(DomainError):
    status_code = 413
    code = "too_large"


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, no header, no email column)."""


def import_max_bytes() -> int:
    return settings.ALIGNMENT_IMPORT_MAX_BYTES


def _too_large_message() -> str:
    return f"The file is too large: {import_max_bytes() // (1024 * 1024)} MB at most."


# --- reads ------------------------------------------------------------------------------------


def import_job_get_for_user(*, user: User, job_id) -> ImportJob:
    """An import is visible to the person who started it and to managers; to others it does not exist."""
    scope = ImportJob.objects.select_related("campaign", "by")
    if user.role != Role.MANAGER:
        scope = scope.filter(by=user)
    try:
        return scope.get(pk=int(job_id))
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such import.") from None


def import_new_leads(job: ImportJob):
    """The leads this import created that are still new, oldest first: captured while it ran, by
    its importer into its campaign, first touched through it (a lead it only touched again was
    captured before the import started)."""
    if job.started_at is None or job.finished_at is None:
        return Lead.objects.none()
    window = (job.started_at, job.finished_at)
    touches = Touch.objects.filter(channel=CaptureChannel.IMPORT, campaign=job.campaign, by=job.by, at__range=window)
    return Lead.objects.filter(
        status=LeadStatus.NEW,
        merged_into__isnull=True,
        captured_at__range=window,
        id__in=touches.values("lead_id"),
    ).order_by("id")


def import_job_list_for_user(*, user: User, limit: int = 10):
    """The person's latest imports, newest first."""
    return ImportJob.objects.select_related("campaign").filter(by=user).order_by("-created_at", "-id")[:limit]


def import_failed_rows_csv(job: ImportJob) -> str:
    """The rows that failed, under the file's header, as a CSV file to fix and import again. Cells
    a spreadsheet would run as a formula are neutralised, as in every export."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_safe(cell) for cell in job.header or []])
    for row in job.failed_rows or []:
        if row["values"]:
            writer.writerow([csv_safe(cell) for cell in row["values"]])
    return out.getvalue()


def import_failed_rows_response(job: ImportJob) -> HttpResponse:
    """The failed rows as a CSV download, for the page and the API alike."""
    response = HttpResponse(import_failed_rows_csv(job), content_type="text/csv; charset=utf-8")
    # The uploaded name, reduced to characters that are safe in a header.
    stem = re.sub(r"[^\w.-]+", "_", job.filename.rsplit(".", 1)[0])[:100] or "import"
    response["Content-Disposition"] = f'attachment; filename="{stem}-failed-rows.csv"'
    return response


# --- writes -----------------------------------------------------------------------------------


@transaction.atomic
def import_job_create(*, by: User, campaign: Campaign, upload) -> ImportJob:
    """Store an uploaded CSV file in chunks and enqueue its import once the rows are committed.

    `upload` is a Django UploadedFile (a temporary file on disk past FILE_UPLOAD_MAX_MEMORY_SIZE):
    it is read one chunk at a time. If the broker does not answer, the job stays queued and says so.
    """
    if by.role not in (Role.MARKETER, Role.MANAGER):
        raise NotAllowed("Only marketers and managers import leads.")
    if campaign is None or not campaign.active:
        raise InvalidInput("Choose an active campaign.", fields={"campaign": ["Choose an active campaign."]})
    if upload is None:
        raise InvalidInput("Choose a CSV file.", fields={"file": ["Choose a CSV file."]})
    if upload.size is not None and upload.size > import_max_bytes():
        raise ImportTooLarge(_too_large_message(), fields={"file": [_too_large_message()]})
    filename = (getattr(upload, "name", "") or "import.csv")[-255:]
    job = ImportJob.objects.create(by=by, campaign=campaign, filename=filename)
    total = 0
    seq = 0
    pending = []
    for piece in upload.chunks(CHUNK_BYTES):
        total += len(piece)
        if total > import_max_bytes():
            raise ImportTooLarge(_too_large_message(), fields={"file": [_too_large_message()]})
        pending.append(piece)
        if sum(len(p) for p in pending) >= CHUNK_BYTES:
            ImportChunk.objects.create(job=job, seq=seq, data=b"".join(pending))
            seq += 1
            pending = []
    if pending:
        ImportChunk.objects.create(job=job, seq=seq, data=b"".join(pending))
    job.total_bytes = total
    job.save(update_fields=["total_bytes"])
    transaction.on_commit(lambda: import_job_enqueue(job_id=job.pk))
    return job


def import_job_enqueue(*, job_id: int) -> bool:
    """Send the import to a worker. A broker that is down must not fail the upload: log, keep the
    job queued with a message the page shows, and let the user start it again later."""
    if not task_send(IMPORT_JOB_RUN_TASK, job_id):
        logger.error("Could not enqueue import job %s: the broker does not answer", job_id)
        ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
            message="The task queue is not answering right now. The file is saved: start the import again in a moment."
        )
        return False
    ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).exclude(message="").update(message="")
    return True


def import_jobs_resume(*, waiting_for=timedelta(minutes=2)) -> int:
    """Enqueue again the imports still waiting for a worker after `waiting_for`: the broker was
    down at upload, or lost its messages in a restart. The beat runs this, so a saved file never
    waits for a click; a job enqueued twice runs once (the second task finds it taken)."""
    cutoff = timezone.now() - waiting_for
    waiting = ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lt=cutoff).order_by("pk")
    return sum(import_job_enqueue(job_id=job_id) for job_id in waiting.values_list("pk", flat=True)[:100])


def import_job_retry(*, job: ImportJob, by: User) -> bool:
    """Enqueue a job that is still waiting (e.g. the broker was down when it was uploaded)."""
    if job.by_id != by.id and by.role != Role.MANAGER:
        raise NotAllowed("Only the person who started this import may start it again.")
    if job.status != ImportStatus.QUEUED:
        raise InvalidInput("This import has already started.")
    return import_job_enqueue(job_id=job.pk)


# --- the import itself (runs in the worker) ---------------------------------------------------


def _chunks(job_id):
    """The stored file, one chunk at a time (one query each: never the whole file in memory)."""
    seqs = list(ImportChunk.objects.filter(job_id=job_id).order_by("seq").values_list("seq", flat=True))
    for seq in seqs:
        data = ImportChunk.objects.filter(job_id=job_id, seq=seq).values_list("data", flat=True).get()
        yield bytes(data)


class _LineReader:
    """Decodes chunks incrementally and yields physical lines (with their endings) for csv.reader;
    counts the bytes handed out so progress can be reported while reading."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.bytes_read = 0
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.line = 0

    def __iter__(self):
        pending = ""
        for chunk in self.chunks:
            try:
                text = self.decoder.decode(chunk)
            except UnicodeDecodeError:
                raise ImportFileError(
                    f"The file is not UTF-8 text (an invalid byte near line {self.line + 1}). "
                    "Save it as “CSV UTF-8” and import it again."
                ) from None
            pending += text
            lines = pending.split("\n")
            pending = lines.pop()
            if len(pending) > MAX_LINE_CHARS:
                raise ImportFileError(
                    f"Line {self.line + len(lines) + 1} is longer than a million characters: this is not a CSV "
                    "file of leads."
                )
            for line in lines:
                yield self._count(line + "\n")
        try:
            pending += self.decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFileError("The file is not UTF-8 text (it ends in the middle of a character).") from None
        if pending:
            yield self._count(pending)

    def _count(self, line):
        self.line += 1
        self.bytes_read += len(line.encode("utf-8"))
        return line


def _header_map(header):
    """Map column positions to lead fields, case-insensitively; return (mapping, ignored names)."""
    mapping = {}
    ignored = []
    for position, raw in enumerate(header):
        key = raw.strip().lower().replace(" ", "_")
        key = ALIASES.get(key, key)
        if key in COLUMNS and key not in mapping.values():
            mapping[position] = key
        elif raw.strip():
            ignored.append(raw.strip())
    return mapping, ignored


class _Progress:
    def __init__(self, job):
        # A resumed job carries on from its last committed batch.
        self.job = job
        self.created, self.duplicate, self.failed = job.rows_created, job.rows_duplicate, job.rows_failed
        self.errors = list(job.errors or [])
        self.failed_rows = list(job.failed_rows or [])
        self.resume_after = job.processed_bytes

    def fail(self, line, reason, values=()):
        self.failed += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append({"line": line, "reason": reason})
            self.failed_rows.append({"line": line, "values": [cell[:FAILED_CELL_CHARS] for cell in values]})

    def save(self, processed_bytes, **extra):
        job = self.job
        job.processed_bytes = min(processed_bytes, job.total_bytes)
        job.rows_created = self.created
        job.rows_duplicate = self.duplicate
        job.rows_failed = self.failed
        job.errors = self.errors
        job.failed_rows = self.failed_rows
        fields = ["processed_bytes", "rows_created", "rows_duplicate", "rows_failed", "errors", "failed_rows"]
        for name, value in extra.items():
            setattr(job, name, value)
            fields.append(name)
        job.save(update_fields=fields)


@contextmanager
def _run_lock(job_id):
    """On PostgreSQL, a session lock held while the job runs: yields True when this run holds it.

    A second delivery of the task while the first still runs cannot take it and does nothing; when a
    worker dies mid-import its connection goes and the lock with it, so the redelivered task takes
    it and resumes. On SQLite (one machine, the embedded default) there is no such lock: None.
    """
    if connection.vendor != "postgresql":
        yield None
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK_NAMESPACE, job_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK_NAMESPACE, job_id])


def _job_claim(job_id, *, lock_held) -> ImportJob | None:
    """Mark a queued job running. A job already running is resumed only by a run that holds its lock
    (its previous run died); without locks (SQLite) a running job is left alone."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().select_related("campaign", "by").filter(pk=job_id).first()
        if job is None or lock_held is False:
            return None
        if job.status == ImportStatus.RUNNING and lock_held:
            logger.warning("Import job %s: resuming after byte %s", job.pk, job.processed_bytes)
            return job
        if job.status != ImportStatus.QUEUED:
            return None
        job.status = ImportStatus.RUNNING
        job.started_at = timezone.now()
        job.message = ""
        job.save(update_fields=["status", "started_at", "message"])
        return job


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Import a queued job's file. Returns the finished job, or None when there was nothing to do.

    Each batch of rows commits together with the job's progress (the byte offset after its last
    row), so a run that dies is resumed from there by the next delivery: no row is captured twice.
    """
    with _run_lock(job_id) as lock_held:
        job = _job_claim(job_id, lock_held=lock_held)
        if job is None:
            return None
        return _job_run(job)


def _job_run(job) -> ImportJob:
    progress = _Progress(job)
    lines = _LineReader(_chunks(job.pk))
    try:
        message = _import_rows(job, lines, progress)
    except ImportFileError as error:
        message = str(error)
        if progress.created or progress.duplicate or progress.failed:
            message += f" The rows before it were imported ({progress.created} new, {progress.duplicate} known)."
        progress.save(lines.bytes_read, status=ImportStatus.FAILED, message=message, finished_at=timezone.now())
    except Exception:
        logger.exception("Import job %s stopped unexpectedly", job.pk)
        progress.save(
            lines.bytes_read,
            status=ImportStatus.FAILED,
            message=f"The import stopped unexpectedly near line {lines.line}. The rows before it were imported.",
            finished_at=timezone.now(),
        )
        ImportChunk.objects.filter(job=job).delete()
        raise
    else:
        progress.save(job.total_bytes, status=ImportStatus.DONE, message=message, finished_at=timezone.now())
    # Finished either way: the stored file has been read for good.
    ImportChunk.objects.filter(job=job).delete()
    return job


def _import_rows(job, lines, progress) -> str:
    reader = csv.reader(lines, strict=False)
    header = None
    while header is None:
        try:
            row = next(reader)
        except StopIteration:
            raise ImportFileError("The file is empty: there is no header row.") from None
        except csv.Error as error:
            raise ImportFileError(f"Line {reader.line_num}: this is not a CSV file we can read ({error}).") from None
        if any(cell.strip() for cell in row):
            header = row
    mapping, ignored = _header_map(header)
    if job.header != header:
        job.header = header
        job.save(update_fields=["header"])
    if "email" not in mapping.values():
        found = ", ".join(cell.strip() for cell in header if cell.strip())[:200]
        raise ImportFileError(f"The header has no “email” column (found: {found}). The email identifies each lead.")
    notes = []
    if ignored:
        notes.append("Ignored columns: " + ", ".join(ignored)[:500] + ".")

    rows_seen = 0
    last_line = reader.line_num
    batch = []
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            if lines.bytes_read > progress.resume_after:
                progress.fail(last_line + 1, f"Not readable as CSV: {error}.")
            last_line = reader.line_num
            continue
        line, last_line = last_line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if lines.bytes_read <= progress.resume_after:
            rows_seen += 1  # captured by an earlier run of this job
            continue
        data = {field: row[position] for position, field in mapping.items() if position < len(row)}
        batch.append((line, data, row))
        if len(batch) >= BATCH_ROWS:
            rows_seen += _capture_batch(job, batch, progress, lines.bytes_read)
            batch = []
    if batch:
        rows_seen += _capture_batch(job, batch, progress, lines.bytes_read)
    if rows_seen == 0 and not progress.failed:
        notes.insert(0, "The file has a header but no rows.")
    # The counts are on the job; the message says only what they do not.
    return " ".join(notes)


def _capture_batch(job, batch, progress, processed_bytes) -> int:
    """Capture a batch of rows in one transaction, with the job's progress up to `processed_bytes`
    (the end of the batch's last row). A bad row is reported while the others commit."""
    with transaction.atomic():
        try:
            results = lead_capture_rows(
                items=[(data, job.campaign) for _, data, _ in batch], by=job.by, channel=CaptureChannel.IMPORT
            )
        except DomainError as error:  # the importer may no longer capture: every row says so
            results = [error] * len(batch)
        for (line, _, row), result in zip(batch, results, strict=True):
            if isinstance(result, DomainError):
                progress.fail(line, result.message, row)
            elif isinstance(result, DatabaseError):
                logger.warning("Import job %s line %s could not be stored: %s", job.pk, line, result)
                progress.fail(line, "The row could not be stored (a value is out of range).", row)
            elif result[1]:
                progress.created += 1
            else:
                progress.duplicate += 1
        progress.save(processed_bytes)
    return len(batch)
