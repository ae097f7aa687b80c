"""The patients' vault: private, encrypted S3 objects reached only through short-lived URLs.
Besides patients' documents it holds the exports too large for one answer, the copies of
documents being issued, staged before the transaction that records them commits, and uploads
not yet checked; lifecycle rules expire the three prefixes (infra/storage.py), so a document
whose issuance or upload failed, however it failed, leaves nothing behind that anyone can list
or read."""

from __future__ import annotations

import base64
import functools
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from chalicelib.core import config
from chalicelib.core.config import region
from chalicelib.core.errors import Unavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

URL_LIFETIME_SECONDS = 300
EXPORTS_PREFIX = "exports/"
STAGING_PREFIX = "staging/"
DOCUMENTS_PREFIX = "documents/"


@functools.cache
def _s3() -> S3Client:
    import boto3
    from botocore.config import Config

    # SigV4 everywhere: presigned URLs must work for KMS-encrypted objects.
    return boto3.client("s3", region_name=region(), config=Config(signature_version="s3v4"))


def object_key(document_id: str) -> str:
    """Keys name the document only: no matricule or name ever reaches S3 metadata or logs."""
    return f"{DOCUMENTS_PREFIX}{document_id}.pdf"


def _encryption() -> dict[str, Any]:
    extra: dict[str, Any] = {"ServerSideEncryption": "aws:kms"}
    kms_key = config.vault_kms_key_id()
    if kms_key:
        extra["SSEKMSKeyId"] = kms_key
    return extra


@contextmanager
def _answering() -> Iterator[None]:
    """S3 failing to answer is a 503 the caller may retry: the callers write nothing that
    depends on the object until it is stored."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        raise Unavailable("the vault is not answering; retry in a moment") from exc


def put_pdf(key: str, body: bytes) -> None:
    with _answering():
        _s3().put_object(
            Bucket=config.vault_bucket(), Key=key, Body=body, ContentType="application/pdf", **_encryption()
        )


def staged_key(document_id: str) -> str:
    return f"{STAGING_PREFIX}{document_id}.pdf"


def stage_pdf(document_id: str, body: bytes) -> None:
    """Store a document's PDF where it waits for the transaction that records it: each try
    under a new number overwrites the one before."""
    put_pdf(staged_key(document_id), body)


def publish(document_id: str) -> None:
    """Copy a staged document into place, once its record has committed. The staged copy is
    left to its lifecycle rule: deleting it would only hide it behind a version that lasts
    as long."""
    with _answering():
        _copy(staged_key(document_id), object_key(document_id))


def put_in_place(document_id: str) -> bool:
    """Copy a document whose record has committed to its key from where it waited (staging/
    for a signed document's copy, pending/ for an upload), unless it is there already: what a
    crash between the commit and the copy left out. False when it is in none of them."""
    key = object_key(document_id)
    if exists(key):
        return True
    for waiting in (staged_key(document_id), pending_key(document_id)):
        if exists(waiting):
            with _answering():
                _copy(waiting, key)
            return True
    return False


def _copy(source: str, key: str) -> None:
    """Copy `source` to `key` in the vault, encrypted like every document."""
    bucket = config.vault_bucket()
    _s3().copy_object(
        Bucket=bucket,
        Key=key,
        CopySource={"Bucket": bucket, "Key": source},
        ContentType="application/pdf",
        MetadataDirective="REPLACE",
        **_encryption(),
    )


def exists(key: str) -> bool:
    with _answering():
        return size_of(key) is not None


def put_export(body: IO[bytes], extension: str, content_type: str) -> str:
    """Store an export read from `body` (in parts, when large) under a random name; its key,
    which says nothing about whose export it is."""
    key = f"{EXPORTS_PREFIX}{secrets.token_hex(16)}.{extension}"
    _s3().upload_fileobj(
        body, config.vault_bucket(), key, ExtraArgs={"ContentType": content_type, **_encryption()}
    )
    return key


def download_url(key: str, filename: str) -> str:
    return _s3().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": config.vault_bucket(),
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        },
        ExpiresIn=URL_LIFETIME_SECONDS,
    )


PENDING_PREFIX = "pending/"


def pending_key(document_id: str) -> str:
    """Where an upload lands until it is checked: a prefix whose objects a lifecycle rule
    expires (infra/storage.py), so an upload never completed leaves nothing behind."""
    return f"{PENDING_PREFIX}{document_id}.pdf"


def upload_url(key: str, content_type: str, size_bytes: int, sha256_hex: str) -> tuple[str, dict[str, str]]:
    """A presigned PUT of `key` and the headers it must carry: they are signed, so S3 refuses
    another type, length or checksum before it stores a byte."""
    checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
    url = _s3().generate_presigned_url(
        "put_object",
        Params={
            "Bucket": config.vault_bucket(),
            "Key": key,
            "ContentType": content_type,
            "ContentLength": size_bytes,
            "ChecksumSHA256": checksum,
        },
        ExpiresIn=URL_LIFETIME_SECONDS,
    )
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(size_bytes),
        "x-amz-checksum-sha256": checksum,
    }
    return url, headers


def size_of(key: str) -> int | None:
    """The stored object's size (one HEAD), None when there is none."""
    from botocore.exceptions import ClientError

    try:
        return _s3().head_object(Bucket=config.vault_bucket(), Key=key)["ContentLength"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise


def read(key: str) -> bytes:
    return _s3().get_object(Bucket=config.vault_bucket(), Key=key)["Body"].read()


def delete(key: str) -> None:
    _s3().delete_object(Bucket=config.vault_bucket(), Key=key)


def promote(pending: str, key: str) -> None:
    """Copy a checked upload to its document's key."""
    _copy(pending, key)
