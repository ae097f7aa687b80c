"""The patients' vault: private, encrypted S3 objects reached only through short-lived URLs.
Besides patients' documents it holds the exports too large for one answer, under a prefix
whose objects a lifecycle rule expires (infra/storage.py)."""

from __future__ import annotations

import functools
import secrets
from typing import IO, TYPE_CHECKING, Any

from chalicelib.core import config
from chalicelib.core.config import region

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

URL_LIFETIME_SECONDS = 300
EXPORTS_PREFIX = "exports/"


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


def put_pdf(key: str, body: bytes) -> None:
    _s3().put_object(
        Bucket=config.vault_bucket(), Key=key, Body=body, ContentType="application/pdf", **_encryption()
    )


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
