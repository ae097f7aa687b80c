"""The patients' vault: private, encrypted S3 objects reached only through short-lived URLs.
Besides patients' documents it holds the exports too large for one answer, and the copies of
documents being issued, staged before the transaction that records them commits; lifecycle
rules expire both prefixes (infra/storage.py), so a document whose issuance failed, however
it failed, leaves nothing behind that anyone can list or read."""

from __future__ import annotations

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


@functools.cache
def _s3() -> S3Client:
    import boto3
    from botocore.config import Config

    # SigV4 everywhere: presigned URLs must work for KMS-encrypted objects.
    return boto3.client("s3", region_name=region(), config=Config(signature_version="s3v4"))


def object_key(document_id: str) -> str:
    """Keys name the document only: no matricule or name ever reaches S3 metadata or logs."""
    return f"documents/{document_id}.pdf"


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
    bucket = config.vault_bucket()
    with _answering():
        _s3().copy_object(
            Bucket=bucket,
            Key=object_key(document_id),
            CopySource={"Bucket": bucket, "Key": staged_key(document_id)},
            ContentType="application/pdf",
            MetadataDirective="REPLACE",
            **_encryption(),
        )


def exists(key: str) -> bool:
    from botocore.exceptions import ClientError

    with _answering():
        try:
            _s3().head_object(Bucket=config.vault_bucket(), Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
    return True


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
