#!/usr/bin/env python3
"""oxforge's S3 gateway driven by real S3 clients: boto3 (every operation, raw signed requests for
the payload forms and the abuse cases), the AWS CLI (`aws s3` with multipart transfers) and
rclone. Run by the Rust integration test `s3_gateway::real_clients`, once per storage backend.

Environment: S3_ENDPOINT (…/storage/v1/s3), S3_KEY_ID, S3_SECRET, S3_REGION, OXFORGE_URL,
OXFORGE_API_KEY (REST cross-checks), WORK (a scratch directory). Prints one line per check;
exits 1 if any failed.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zlib

import boto3
import botocore
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = os.environ["S3_ENDPOINT"].rstrip("/")
KEY_ID = os.environ["S3_KEY_ID"]
SECRET = os.environ["S3_SECRET"]
REGION = os.environ.get("S3_REGION", "us-east-2")
OXFORGE = os.environ["OXFORGE_URL"].rstrip("/")
API_KEY = os.environ["OXFORGE_API_KEY"]
WORK = os.environ["WORK"]

failures = []


class RawS3Auth(SigV4Auth):
    """SigV4 as S3 clients sign (the path escaped once, as sent), with x-amz-content-sha256 as
    the request gives it (the streaming forms, UNSIGNED-PAYLOAD, a wrong hash)."""

    def _normalize_url_path(self, path):
        return path


def check(fn):
    """Runs one check, recording a failure instead of stopping."""
    name = fn.__name__
    try:
        fn()
        print(f"ok   {name}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        failures.append(name)
        print(f"FAIL {name}: {e!r}", flush=True)
        traceback.print_exc()
    return fn


def client(secret=SECRET, key_id=KEY_ID, region=REGION, **config):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name=region,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


s3 = client()


def expect_error(code, call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e.response['Error']}"
        return e
    raise AssertionError(f"expected {code}, the call succeeded")


def raw(method, path, body=b"", headers=None, sign=True, secret=SECRET, key_id=KEY_ID, region=REGION,
        when=None, payload_hash=None):
    """A request signed with SigV4 by botocore's signer (or not signed), sent as is."""
    url = ENDPOINT + path
    headers = dict(headers or {})
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    if sign:
        if payload_hash is not None:
            del request.headers["x-amz-content-sha256"]
            request.headers["x-amz-content-sha256"] = payload_hash
        elif "x-amz-content-sha256" not in request.headers:
            request.headers["x-amz-content-sha256"] = hashlib.sha256(body if isinstance(body, bytes) else b"").hexdigest()
        signer = RawS3Auth(Credentials(key_id, secret), "s3", region)
        if when is not None:
            original = botocore.auth.get_current_datetime
            botocore.auth.get_current_datetime = lambda: when
            try:
                signer.add_auth(request)
            finally:
                botocore.auth.get_current_datetime = original
        else:
            signer.add_auth(request)
    prepared = request.prepare()
    req = urllib.request.Request(prepared.url, data=body if method in ("PUT", "POST") else None, method=method)
    for k, v in prepared.headers.items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def xml_code(body):
    text = body.decode("utf-8", "replace")
    start = text.find("<Code>")
    return text[start + 6:text.find("</Code>")] if start >= 0 else text[:200]


def rest(method, path, body=None):
    req = urllib.request.Request(OXFORGE + path, data=body, method=method)
    req.add_header("Authorization", f"Bearer {API_KEY}")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def blob(size, seed):
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:size])


# ---------------------------------------------------------------- boto3, every operation

@check
def buckets_create_head_list_delete():
    s3.create_bucket(Bucket="gw-one")
    expect_error("BucketAlreadyOwnedByYou", s3.create_bucket, Bucket="gw-one")
    s3.head_bucket(Bucket="gw-one")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "gw-one" in names, names
    loc = s3.get_bucket_location(Bucket="gw-one")["LocationConstraint"]
    assert loc == REGION, loc
    s3.put_object(Bucket="gw-one", Key="x", Body=b"1")
    expect_error("BucketNotEmpty", s3.delete_bucket, Bucket="gw-one")
    s3.delete_object(Bucket="gw-one", Key="x")
    s3.delete_bucket(Bucket="gw-one")
    expect_error("404", s3.head_bucket, Bucket="gw-one")
    expect_error("NoSuchBucket", s3.list_objects_v2, Bucket="gw-one")
    # Made through the gateway, a bucket is private: REST reads need a token.
    s3.create_bucket(Bucket="gw-private")
    status, body = rest("GET", "/api/storage/buckets")
    listed = {b["name"]: b["public"] for b in json.loads(body)}
    assert listed.get("gw-private") is False, listed


@check
def objects_put_get_head_delete():
    s3.create_bucket(Bucket="gw-obj")
    data = b"hello gateway\n" * 100
    put = s3.put_object(Bucket="gw-obj", Key="dir/hello.txt", Body=data, ContentType="text/plain")
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"', put["ETag"]
    got = s3.get_object(Bucket="gw-obj", Key="dir/hello.txt")
    assert got["Body"].read() == data
    assert got["ContentLength"] == len(data)
    assert got["ContentType"].startswith("text/plain"), got["ContentType"]
    head = s3.head_object(Bucket="gw-obj", Key="dir/hello.txt")
    assert head["ContentLength"] == len(data) and head["ETag"] == put["ETag"]
    part = s3.get_object(Bucket="gw-obj", Key="dir/hello.txt", Range="bytes=14-27")
    assert part["Body"].read() == data[14:28]
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == f"bytes 14-27/{len(data)}", part.get("ContentRange")
    expect_error("InvalidRange", s3.get_object, Bucket="gw-obj", Key="dir/hello.txt", Range=f"bytes={len(data)}-")
    expect_error("NoSuchKey", s3.get_object, Bucket="gw-obj", Key="dir/missing")
    expect_error("404", s3.head_object, Bucket="gw-obj", Key="dir/missing")
    expect_error("NoSuchBucket", s3.put_object, Bucket="gw-nope", Key="k", Body=b"x")
    expect_error("304", s3.get_object, Bucket="gw-obj", Key="dir/hello.txt", IfNoneMatch=put["ETag"])
    expect_error("PreconditionFailed", s3.get_object, Bucket="gw-obj", Key="dir/hello.txt", IfMatch='"0000"')
    # Replace, then delete (twice: idempotent).
    s3.put_object(Bucket="gw-obj", Key="dir/hello.txt", Body=b"v2")
    assert s3.get_object(Bucket="gw-obj", Key="dir/hello.txt")["Body"].read() == b"v2"
    s3.delete_object(Bucket="gw-obj", Key="dir/hello.txt")
    s3.delete_object(Bucket="gw-obj", Key="dir/hello.txt")
    expect_error("NoSuchKey", s3.get_object, Bucket="gw-obj", Key="dir/hello.txt")
    # An empty object.
    s3.put_object(Bucket="gw-obj", Key="empty", Body=b"")
    assert s3.get_object(Bucket="gw-obj", Key="empty")["Body"].read() == b""


@check
def odd_keys_round_trip():
    s3.create_bucket(Bucket="gw-keys")
    keys = ["with space.txt", "plus+sign", "ünïcödé/ключ/鍵.bin", "a%20b", "q?x=1&y", "tilde~star*(1)", "semi;colon,comma"]
    for i, key in enumerate(keys):
        s3.put_object(Bucket="gw-keys", Key=key, Body=f"v{i}".encode())
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="gw-keys")["Contents"]]
    assert sorted(listed) == sorted(keys), listed
    for i, key in enumerate(keys):
        assert s3.get_object(Bucket="gw-keys", Key=key)["Body"].read() == f"v{i}".encode(), key
    # The same keys, read through the REST API (encodeURIComponent, as the SDK sends them).
    for i, key in enumerate(keys):
        status, body = rest("GET", "/api/storage/buckets/gw-keys/objects/" + urllib.parse.quote(key, safe=""))
        assert status == 200 and body == f"v{i}".encode(), (key, status, body[:100])


@check
def listing_v2_v1_prefixes_and_pages():
    s3.create_bucket(Bucket="gw-list")
    keys = ["a/1", "a/2", "a/b/3", "b/4", "c", "d", "e"]
    for key in keys:
        s3.put_object(Bucket="gw-list", Key=key, Body=b"x")
    top = s3.list_objects_v2(Bucket="gw-list", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["a/", "b/"], top
    assert [o["Key"] for o in top["Contents"]] == ["c", "d", "e"]
    assert top["KeyCount"] == 5
    under = s3.list_objects_v2(Bucket="gw-list", Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in under["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in under["CommonPrefixes"]] == ["a/b/"]
    seen, token = [], None
    while True:
        kwargs = {"Bucket": "gw-list", "MaxKeys": 2}
        if token:
            kwargs["ContinuationToken"] = token
        page = s3.list_objects_v2(**kwargs)
        seen += [o["Key"] for o in page.get("Contents", [])]
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    assert seen == sorted(keys), seen
    after = s3.list_objects_v2(Bucket="gw-list", StartAfter="b/4")
    assert [o["Key"] for o in after["Contents"]] == ["c", "d", "e"]
    v1 = s3.list_objects(Bucket="gw-list", MaxKeys=3)
    assert [o["Key"] for o in v1["Contents"]] == ["a/1", "a/2", "a/b/3"] and v1["IsTruncated"]
    v1b = s3.list_objects(Bucket="gw-list", Marker="a/b/3")
    assert [o["Key"] for o in v1b["Contents"]] == ["b/4", "c", "d", "e"]
    paginator = s3.get_paginator("list_objects_v2")
    pages = list(paginator.paginate(Bucket="gw-list", PaginationConfig={"PageSize": 3}))
    assert sum(len(p.get("Contents", [])) for p in pages) == len(keys)
    expect_error("InvalidArgument", s3.list_objects_v2, Bucket="gw-list", ContinuationToken="%%%not-base64")


@check
def delete_objects_and_copy():
    s3.create_bucket(Bucket="gw-del")
    for i in range(5):
        s3.put_object(Bucket="gw-del", Key=f"k{i}", Body=b"x")
    out = s3.delete_objects(Bucket="gw-del", Delete={"Objects": [{"Key": "k0"}, {"Key": "k1"}, {"Key": "missing"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["k0", "k1", "missing"], out
    quiet = s3.delete_objects(Bucket="gw-del", Delete={"Objects": [{"Key": "k2"}], "Quiet": True})
    assert not quiet.get("Deleted"), quiet
    left = [o["Key"] for o in s3.list_objects_v2(Bucket="gw-del")["Contents"]]
    assert left == ["k3", "k4"], left
    s3.put_object(Bucket="gw-del", Key="src file", Body=b"copy me", ContentType="text/plain")
    copied = s3.copy_object(Bucket="gw-obj", Key="copied", CopySource={"Bucket": "gw-del", "Key": "src file"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"'
    assert s3.get_object(Bucket="gw-obj", Key="copied")["Body"].read() == b"copy me"
    expect_error("NoSuchKey", s3.copy_object, Bucket="gw-obj", Key="c2", CopySource={"Bucket": "gw-del", "Key": "nope"})


@check
def multipart_by_hand():
    s3.create_bucket(Bucket="gw-mp")
    parts_data = [blob(5 * 1024 * 1024, "p1"), blob(5 * 1024 * 1024, "p2"), blob(1234, "p3")]
    up = s3.create_multipart_upload(Bucket="gw-mp", Key="big/object.bin", ContentType="application/x-test")
    uid = up["UploadId"]
    etags = {}
    for n in (3, 1, 2):  # out of order
        etags[n] = s3.upload_part(Bucket="gw-mp", Key="big/object.bin", UploadId=uid, PartNumber=n, Body=parts_data[n - 1])["ETag"]
    listed = s3.list_parts(Bucket="gw-mp", Key="big/object.bin", UploadId=uid)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2, 3], listed
    uploads = s3.list_multipart_uploads(Bucket="gw-mp")
    assert any(u["UploadId"] == uid for u in uploads.get("Uploads", [])), uploads
    # Paged, one at a time, under a prefix.
    extra = [s3.create_multipart_upload(Bucket="gw-mp", Key=k)["UploadId"] for k in ("pg/a", "pg/b", "pg/b")]
    pages = list(s3.get_paginator("list_multipart_uploads").paginate(
        Bucket="gw-mp", Prefix="pg/", PaginationConfig={"PageSize": 1}))
    listed = [(u["Key"], u["UploadId"]) for p in pages for u in p.get("Uploads", [])]
    assert len(pages) >= 3 and sorted(i for _, i in listed) == sorted(extra), (len(pages), listed)
    assert [k for k, _ in listed] == ["pg/a", "pg/b", "pg/b"], listed
    for (k, i) in listed:
        s3.abort_multipart_upload(Bucket="gw-mp", Key=k, UploadId=i)
    expect_error("InvalidPart", s3.complete_multipart_upload, Bucket="gw-mp", Key="big/object.bin", UploadId=uid,
                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"deadbeef"'}]})
    expect_error("InvalidPartOrder", s3.complete_multipart_upload, Bucket="gw-mp", Key="big/object.bin", UploadId=uid,
                 MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": etags[2]}, {"PartNumber": 1, "ETag": etags[1]}]})
    s3.complete_multipart_upload(Bucket="gw-mp", Key="big/object.bin", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in (1, 2, 3)]})
    whole = b"".join(parts_data)
    got = s3.get_object(Bucket="gw-mp", Key="big/object.bin")["Body"].read()
    assert hashlib.md5(got).hexdigest() == hashlib.md5(whole).hexdigest()
    expect_error("NoSuchUpload", s3.list_parts, Bucket="gw-mp", Key="big/object.bin", UploadId=uid)
    # Abort: the upload and its parts are gone.
    up2 = s3.create_multipart_upload(Bucket="gw-mp", Key="aborted")["UploadId"]
    s3.upload_part(Bucket="gw-mp", Key="aborted", UploadId=up2, PartNumber=1, Body=b"x" * 100)
    s3.abort_multipart_upload(Bucket="gw-mp", Key="aborted", UploadId=up2)
    expect_error("NoSuchUpload", s3.upload_part, Bucket="gw-mp", Key="aborted", UploadId=up2, PartNumber=2, Body=b"y")
    expect_error("NoSuchUpload", s3.upload_part, Bucket="gw-mp", Key="aborted", UploadId="../../etc", PartNumber=1, Body=b"y")
    expect_error("NoSuchKey", s3.get_object, Bucket="gw-mp", Key="aborted")
    # A bucket deleted (over REST, or through the gateway) takes its unfinished uploads' parts.
    for name, drop in (("gw-mp-rest", lambda b: rest("DELETE", f"/api/storage/buckets/{b}")),
                       ("gw-mp-s3", lambda b: s3.delete_bucket(Bucket=b))):
        s3.create_bucket(Bucket=name)
        pending = s3.create_multipart_upload(Bucket=name, Key="never-finished")["UploadId"]
        s3.upload_part(Bucket=name, Key="never-finished", UploadId=pending, PartNumber=1, Body=b"p" * 1000)
        drop(name)
        expect_error("NoSuchBucket", s3.list_objects_v2, Bucket=name)
    expect_error("InvalidArgument", s3.upload_part, Bucket="gw-mp", Key="big/object.bin",
                 UploadId=s3.create_multipart_upload(Bucket="gw-mp", Key="big/object.bin")["UploadId"],
                 PartNumber=10001, Body=b"z")


@check
def boto3_transfer_manager_multipart():
    from boto3.s3.transfer import TransferConfig
    path = os.path.join(WORK, "tm.bin")
    data = blob(17 * 1024 * 1024 + 7, "tm")
    with open(path, "wb") as f:
        f.write(data)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024, max_concurrency=4)
    s3.upload_file(path, "gw-mp", "tm.bin", Config=config)
    back = os.path.join(WORK, "tm.back")
    s3.download_file("gw-mp", "tm.bin", back, Config=config)  # ranged GETs in parallel
    with open(back, "rb") as f:
        assert hashlib.sha256(f.read()).digest() == hashlib.sha256(data).digest()


@check
def presigned_urls():
    s3.put_object(Bucket="gw-obj", Key="signed.txt", Body=b"presigned body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "gw-obj", "Key": "signed.txt"}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.read() == b"presigned body"
    tampered = url.replace("signed.txt", "signed.txT")
    try:
        urllib.request.urlopen(tampered, timeout=30)
        raise AssertionError("a tampered presigned URL worked")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and xml_code(e.read()) == "SignatureDoesNotMatch"
    # response-* overrides (a download link with a file name); HTML never renders inline.
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": "gw-obj", "Key": "signed.txt", "ResponseContentDisposition": 'attachment; filename="notes.txt"',
        "ResponseCacheControl": "max-age=60"}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.headers["Content-Disposition"] == 'attachment; filename="notes.txt"', dict(resp.headers)
        assert resp.headers["Cache-Control"] == "max-age=60", dict(resp.headers)
    s3.put_object(Bucket="gw-obj", Key="page.html", Body=b"<html><script>alert(1)</script></html>", ContentType="text/html")
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": "gw-obj", "Key": "page.html", "ResponseContentType": "text/html",
        "ResponseContentDisposition": "inline"}, ExpiresIn=300)
    with urllib.request.urlopen(url, timeout=30) as resp:
        assert resp.headers["Content-Disposition"] == "attachment", dict(resp.headers)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", dict(resp.headers)
    put_url = s3.generate_presigned_url("put_object", Params={"Bucket": "gw-obj", "Key": "via-presigned-put"}, ExpiresIn=300)
    req = urllib.request.Request(put_url, data=b"put by url", method="PUT")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
    assert s3.get_object(Bucket="gw-obj", Key="via-presigned-put")["Body"].read() == b"put by url"
    # An unsigned x-amz-* header cannot change what a presigned request does (here: a PUT URL
    # turned into a copy of another object).
    req = urllib.request.Request(put_url, data=b"", method="PUT")
    req.add_header("x-amz-copy-source", "/gw-obj/signed.txt")
    try:
        urllib.request.urlopen(req, timeout=30)
        raise AssertionError("an unsigned x-amz-copy-source was obeyed")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and xml_code(e.read()) == "AccessDenied", e.code
    assert s3.get_object(Bucket="gw-obj", Key="via-presigned-put")["Body"].read() == b"put by url"
    # Expired: signed 2 hours ago for 60 seconds.
    signer = S3SigV4QueryAuth(Credentials(KEY_ID, SECRET), "s3", REGION, expires=60)
    req = AWSRequest(method="GET", url=ENDPOINT + "/gw-obj/signed.txt")
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: datetime.datetime.utcnow() - datetime.timedelta(hours=2)
    try:
        signer.add_auth(req)
    finally:
        botocore.auth.get_current_datetime = original
    try:
        urllib.request.urlopen(req.prepare().url, timeout=30)
        raise AssertionError("an expired presigned URL worked")
    except urllib.error.HTTPError as e:
        assert e.code == 403, e.code


# ---------------------------------------------------------------- payload forms, by hand

def signing_key(date, secret=SECRET):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def streaming_put(key, data, chunk, form, bad_chunk=False, bad_crc=False):
    """PUT with an aws-chunked body, chunk signatures computed here as the AWS SDKs do."""
    now = datetime.datetime.utcnow()
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{date}/{REGION}/s3/aws4_request"
    trailer = form.endswith("TRAILER")
    headers = {
        "x-amz-content-sha256": form,
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(len(data)),
        "content-encoding": "aws-chunked",
    }
    if trailer:
        headers["x-amz-trailer"] = "x-amz-checksum-crc32"
    # The seed signature: a normal SigV4 over the headers with the form as the payload hash.
    path = f"/gw-obj/{key}"
    request = AWSRequest(method="PUT", url=ENDPOINT + path, headers=dict(headers))
    original = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: now
    try:
        RawS3Auth(Credentials(KEY_ID, SECRET), "s3", REGION).add_auth(request)
    finally:
        botocore.auth.get_current_datetime = original
    prepared = request.prepare()
    seed = prepared.headers["Authorization"].rsplit("Signature=", 1)[1]
    key_bytes = signing_key(date)
    signed = form.startswith("STREAMING-AWS4-HMAC-SHA256")
    empty = hashlib.sha256(b"").hexdigest()
    body, previous = bytearray(), seed
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for n, piece in enumerate(pieces):
        if signed:
            to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty, hashlib.sha256(piece).hexdigest()])
            sig = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
            previous = sig
            body += f"{len(piece):x};chunk-signature={sig}\r\n".encode()
        else:
            body += f"{len(piece):x}\r\n".encode()
        if bad_chunk and n == 0:
            piece = bytes([piece[0] ^ 1]) + piece[1:]
        body += piece
        if piece or not trailer:
            body += b"\r\n"
    if trailer:
        crc = zlib.crc32(data) ^ (1 if bad_crc else 0)
        value = base64.b64encode(crc.to_bytes(4, "big")).decode()
        line = f"x-amz-checksum-crc32:{value}"
        body += (line + "\r\n").encode()
        if signed:
            to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous, hashlib.sha256((line + "\n").encode()).hexdigest()])
            body += f"x-amz-trailer-signature:{hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()}\r\n".encode()
        body += b"\r\n"
    req = urllib.request.Request(prepared.url, data=bytes(body), method="PUT")
    for k, v in prepared.headers.items():
        req.add_header(k, v)
    req.add_header("Content-Length", str(len(body)))
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@check
def payload_forms():
    data = blob(200_000, "stream")
    for form in ("STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                 "STREAMING-UNSIGNED-PAYLOAD-TRAILER"):
        key = "stream-" + form.lower()
        status, body = streaming_put(key, data, 65536, form)
        assert status == 200, (form, status, body[:300])
        assert s3.get_object(Bucket="gw-obj", Key=key)["Body"].read() == data, form
    status, body = streaming_put("bad-chunk", data, 65536, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD", bad_chunk=True)
    assert status == 403 and xml_code(body) == "SignatureDoesNotMatch", (status, body[:300])
    status, body = streaming_put("bad-crc", data, 65536, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", bad_crc=True)
    assert status == 400, (status, body[:300])
    for key in ("bad-chunk", "bad-crc"):
        expect_error("NoSuchKey", s3.get_object, Bucket="gw-obj", Key=key)
    # A body whose SHA-256 is not the signed one: refused, nothing stored.
    status, _, body = raw("PUT", "/gw-obj/bad-sha", body=b"actual", payload_hash=hashlib.sha256(b"other").hexdigest())
    assert status == 400 and xml_code(body) == "XAmzContentSHA256Mismatch", (status, body[:300])
    expect_error("NoSuchKey", s3.get_object, Bucket="gw-obj", Key="bad-sha")
    # Content-MD5 is checked: a wrong one stores nothing.
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    expect_error("BadDigest", s3.put_object, Bucket="gw-obj", Key="bad-md5", Body=b"actual", ContentMD5=wrong_md5)
    expect_error("NoSuchKey", s3.get_object, Bucket="gw-obj", Key="bad-md5")
    right_md5 = base64.b64encode(hashlib.md5(b"actual").digest()).decode()
    s3.put_object(Bucket="gw-obj", Key="good-md5", Body=b"actual", ContentMD5=right_md5)
    status, _, _ = raw("PUT", "/gw-obj/unsigned-payload", body=b"unsigned", payload_hash="UNSIGNED-PAYLOAD")
    assert status == 200
    assert s3.get_object(Bucket="gw-obj", Key="unsigned-payload")["Body"].read() == b"unsigned"


# ---------------------------------------------------------------- abuse

@check
def credentials_are_required_and_checked():
    status, _, body = raw("GET", "/", sign=False)
    assert status == 403 and xml_code(body) == "AccessDenied", (status, body[:300])
    expect_error("SignatureDoesNotMatch", client(secret="x" * 40).list_buckets)
    # A refused upload with a large body still gets its answer (not a connection reset).
    expect_error("SignatureDoesNotMatch", client(secret="x" * 40).put_object, Bucket="gw-obj", Key="nope",
                 Body=blob(6 * 1024 * 1024, "refused"))
    expect_error("InvalidAccessKeyId", client(key_id="INSFNOSUCHKEY0000000").put_object, Bucket="gw-obj",
                 Key="nope", Body=blob(6 * 1024 * 1024, "refused"))
    expect_error("NoSuchKey", s3.get_object, Bucket="gw-obj", Key="nope")
    expect_error("InvalidAccessKeyId", client(key_id="INSFNOSUCHKEY0000000").list_buckets)
    expect_error("AuthorizationHeaderMalformed", client(region="eu-west-1").list_buckets)
    status, _, body = raw("GET", "/", when=datetime.datetime.utcnow() - datetime.timedelta(minutes=20))
    assert status == 403 and xml_code(body) == "RequestTimeTooSkewed", (status, body[:300])
    status, _, body = raw("GET", "/", sign=False, headers={"Authorization": f"AWS {KEY_ID}:c2lnbmF0dXJl"})
    assert status == 400 and xml_code(body) == "InvalidRequest", (status, body[:300])
    status, _, body = raw("GET", "/", sign=False, headers={"Authorization": "AWS4-HMAC-SHA256 garbage"})
    assert status in (400, 403) and xml_code(body) in ("AuthorizationHeaderMalformed", "InvalidRequest", "AccessDenied"), (status, body[:300])
    # A signature is for one request: the same headers on another path do not open it.
    request = AWSRequest(method="GET", url=ENDPOINT + "/gw-obj/signed.txt")
    request.headers["x-amz-content-sha256"] = hashlib.sha256(b"").hexdigest()
    S3SigV4Auth(Credentials(KEY_ID, SECRET), "s3", REGION).add_auth(request)
    prepared = request.prepare()
    other = urllib.request.Request(ENDPOINT + "/gw-obj/copied", method="GET")
    for k, v in prepared.headers.items():
        other.add_header(k, v)
    try:
        urllib.request.urlopen(other, timeout=30)
        raise AssertionError("a signature for another path worked")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and xml_code(e.read()) == "SignatureDoesNotMatch"


def streaming_put_declared(key, declared):
    now = datetime.datetime.utcnow()
    headers = {"x-amz-decoded-content-length": str(declared), "content-encoding": "aws-chunked",
               "x-amz-trailer": "x-amz-checksum-crc32"}
    status, _, body = raw("PUT", f"/gw-obj/{key}", body=b"0\r\n\r\n", headers=headers,
                          payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER", when=now)
    return status, body


@check
def hostile_names_and_bodies():
    status, _, body = raw("PUT", "/" + urllib.parse.quote("b';DROP TABLE storage.objects;--", safe=""))
    assert status == 400 and xml_code(body) == "InvalidBucketName", (status, body[:300])
    status, _, body = raw("PUT", "/gw-obj/" + urllib.parse.quote("../escape", safe=""), body=b"x")
    assert status == 400 and xml_code(body) == "InvalidArgument", (status, body[:300])
    status, _, body = raw("PUT", "/gw-obj/a/%2E%2E/b", body=b"x")
    assert status == 400, (status, body[:300])
    status, _, body = raw("PUT", "/gw-obj/bad%zzescape", body=b"x")
    assert status == 400, (status, body[:300])
    # DeleteObjects: malformed, and 1,001 keys.
    status, _, body = raw("POST", "/gw-obj?delete", body=b"<Delete><Object><Key>x</Key>")
    assert status == 400 and xml_code(body) == "MalformedXML", (status, body[:300])
    # Deeply nested XML (small, but a parser keeping every path would need gigabytes).
    status, _, body = raw("POST", "/gw-obj?delete", body=b"<a>" * 100_000 + b"</a>" * 100_000)
    assert status == 400 and xml_code(body) == "MalformedXML", (status, body[:300])
    many = "".join(f"<Object><Key>k{i}</Key></Object>" for i in range(1001))
    status, _, body = raw("POST", "/gw-obj?delete", body=f"<Delete>{many}</Delete>".encode())
    assert status == 400 and xml_code(body) == "MalformedXML", (status, body[:300])
    # Over the object cap, by the declared length: refused before the body is read.
    status, body = streaming_put_declared("huge", 6 * 1024 ** 3)
    assert status == 400 and xml_code(body) == "EntityTooLarge", (status, body[:300])
    # Operations oxforge does not keep answer NotImplemented, not something wrong.
    status, _, body = raw("GET", "/gw-obj?policy")
    assert status == 501 and xml_code(body) == "NotImplemented", (status, body[:300])
    status, _, body = raw("PATCH", "/gw-obj/x")
    assert status == 405, (status, body[:300])


# ---------------------------------------------------------------- the same objects over REST

@check
def gateway_and_rest_see_the_same_objects():
    s3.put_object(Bucket="gw-obj", Key="from-s3.txt", Body=b"written by s3")
    status, body = rest("GET", "/api/storage/buckets/gw-obj/objects?prefix=from-s3")
    assert status == 200, (status, body)
    item = json.loads(body)["data"][0]
    assert item["uploaded_via"] == "s3" and item["s3_access_key_id"] == KEY_ID, item
    assert item["uploaded_by"] is None, item
    status, body = rest("GET", "/api/storage/buckets/gw-obj/objects/from-s3.txt")
    assert status == 200 and body == b"written by s3"
    boundary = "----gwtest"
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"r.txt\"\r\n"
            f"Content-Type: text/plain\r\n\r\nwritten by rest\r\n--{boundary}--\r\n").encode()
    req = urllib.request.Request(OXFORGE + "/api/storage/buckets/gw-obj/objects/from-rest.txt", data=form, method="PUT")
    req.add_header("Authorization", f"Bearer {API_KEY}")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
    assert s3.get_object(Bucket="gw-obj", Key="from-rest.txt")["Body"].read() == b"written by rest"


# ---------------------------------------------------------------- the AWS CLI and rclone

def aws(*args, check_ok=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE=os.path.join(WORK, "aws-config"), AWS_SHARED_CREDENTIALS_FILE=os.path.join(WORK, "none"))
    with open(env["AWS_CONFIG_FILE"], "w") as f:
        f.write("[default]\ns3 =\n  addressing_style = path\n  multipart_threshold = 8MB\n  multipart_chunksize = 8MB\n")
    out = subprocess.run(["aws", "--endpoint-url", ENDPOINT, *args], env=env, capture_output=True, text=True, timeout=600)
    if check_ok and out.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} → {out.returncode}: {out.stderr[-2000:]}")
    return out


@check
def aws_cli():
    aws("s3", "mb", "s3://gw-cli")
    src = os.path.join(WORK, "cli-src")
    os.makedirs(os.path.join(src, "sub"), exist_ok=True)
    files = {"small.txt": b"small file\n", "sub/medium.bin": blob(300_000, "m"), "big.bin": blob(21 * 1024 * 1024 + 3, "big")}
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
    aws("s3", "cp", os.path.join(src, "big.bin"), "s3://gw-cli/big.bin")  # multipart (3 parts)
    aws("s3", "sync", src, "s3://gw-cli/tree")
    listing = aws("s3", "ls", "--recursive", "s3://gw-cli").stdout
    for name in ("big.bin", "tree/small.txt", "tree/sub/medium.bin", "tree/big.bin"):
        assert name in listing, listing
    dst = os.path.join(WORK, "cli-dst")
    aws("s3", "cp", "--recursive", "s3://gw-cli/tree", dst)
    for name, data in files.items():
        with open(os.path.join(dst, name), "rb") as f:
            assert f.read() == data, name
    again = aws("s3", "sync", src, "s3://gw-cli/tree").stdout
    assert "upload:" not in again, again  # nothing changed: sync compares sizes and times
    aws("s3api", "head-object", "--bucket", "gw-cli", "--key", "big.bin")
    aws("s3", "rm", "--recursive", "s3://gw-cli/tree")
    assert "tree/" not in aws("s3", "ls", "--recursive", "s3://gw-cli").stdout
    failed = aws("s3", "rb", "s3://gw-cli", check_ok=False)
    assert failed.returncode != 0 and "BucketNotEmpty" in failed.stderr, failed.stderr
    aws("s3", "rb", "--force", "s3://gw-cli")


def rclone(*args):
    conf = os.path.join(WORK, "rclone.conf")
    with open(conf, "w") as f:
        f.write(f"[gw]\ntype = s3\nprovider = Other\naccess_key_id = {KEY_ID}\nsecret_access_key = {SECRET}\n"
                f"endpoint = {ENDPOINT}\nregion = {REGION}\nforce_path_style = true\n")
    # rclone's AWS SDK reads AWS_* from the environment (a CA bundle it cannot use, keys): none here.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    out = subprocess.run(["rclone", "--config", conf, "--low-level-retries", "1", "--retries", "1", *args],
                         env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise AssertionError(f"rclone {' '.join(args)} → {out.returncode}: {out.stderr[-2000:]}")
    return out.stdout


@check
def rclone_copy_check_delete():
    src = os.path.join(WORK, "rc-src")
    os.makedirs(os.path.join(src, "d"), exist_ok=True)
    files = {"one.txt": b"one\n", "d/two with space.bin": blob(70_000, "two"), "d/big.bin": blob(12 * 1024 * 1024, "rcbig")}
    for name, data in files.items():
        with open(os.path.join(src, name), "wb") as f:
            f.write(data)
    rclone("mkdir", "gw:gw-rclone")
    rclone("copy", "--s3-upload-cutoff", "5M", "--s3-chunk-size", "5M", src, "gw:gw-rclone/up")
    rclone("check", src, "gw:gw-rclone/up")
    listed = rclone("lsf", "-R", "gw:gw-rclone/up")
    for name in files:
        assert name in listed, listed
    dst = os.path.join(WORK, "rc-dst")
    rclone("copy", "gw:gw-rclone/up", dst)
    for name, data in files.items():
        with open(os.path.join(dst, name), "rb") as f:
            assert f.read() == data, name
    rclone("delete", "gw:gw-rclone/up/d")
    left = sorted(rclone("lsf", "-R", "gw:gw-rclone").strip().splitlines())
    assert left == ["up/", "up/one.txt"], left
    rclone("purge", "gw:gw-rclone")
    assert "gw-rclone" not in rclone("lsd", "gw:")


print(f"{len(failures)} failed" if failures else "all passed", flush=True)
sys.exit(1 if failures else 0)
