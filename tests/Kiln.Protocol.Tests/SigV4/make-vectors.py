#!/usr/bin/python3
"""Signs a fixed set of requests with botocore's own signers and writes them to vectors.json.

The SigV4 tests verify these requests with Kiln's authenticator, so the oracle is the signer the
aws CLI and boto3 use, not ours. Run it once after changing a case and commit the JSON:

    /usr/bin/python3 tests/Kiln.Protocol.Tests/SigV4/make-vectors.py

Uses Debian's python3-botocore. Keys and times are fixed so the output is deterministic.
"""

import base64
import datetime
import json
import os
import sys
import types
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.httpchecksum
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TEMP_ACCESS_KEY = "ASIAEXAMPLETEMP"
TEMP_SECRET_KEY = "tempSecretKey/With+Symbols"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE//////////wEaDPr0SessionTokenExample+/=="
SIGNED_AT = datetime.datetime(2026, 11, 21, 10, 15, 30)


class _FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return SIGNED_AT


# botocore reads the clock through `datetime.datetime.utcnow()` in botocore.auth; give it a fixed one.
botocore.auth.datetime = types.SimpleNamespace(datetime=_FixedDatetime)


def _sign(auth, request):
    """Signs and returns botocore's canonical request and string to sign, so a test can compare
    Kiln's own canonical form with the signer's line by line."""
    seen = {}
    canonical_request, string_to_sign = auth.canonical_request, auth.string_to_sign

    def record_canonical(req):
        seen["canonicalRequest"] = canonical_request(req)
        return seen["canonicalRequest"]

    def record_string_to_sign(req, cr):
        seen["stringToSign"] = string_to_sign(req, cr)
        return seen["stringToSign"]

    auth.canonical_request = record_canonical
    auth.string_to_sign = record_string_to_sign
    auth.add_auth(request)
    return seen


def _wire(request, body):
    """What an HTTP client puts on the wire for a signed AWSRequest."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    headers = []
    names = set()
    # request.headers, not prepared.headers: the prepared copy is a dict and drops repeated names.
    for name, value in request.headers.items():
        headers.append([name, value])
        names.add(name.lower())
    if "host" not in names:
        headers.insert(0, ["Host", parts.netloc])
    if body and "content-length" not in names:
        headers.append(["Content-Length", str(len(body))])
    return target, headers


def header_case(name, service, region, method, url, body=b"", headers=None, signer="sigv4",
                credentials=None, context=None, duplicates=None, note=""):
    credentials = credentials or Credentials(ACCESS_KEY, SECRET_KEY)
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    for dup_name, dup_value in duplicates or []:
        # HTTPHeaders is an email.message: assignment appends another line with the same name.
        request.headers[dup_name] = dup_value
    request.context.update(context or {})
    auth_cls = botocore.auth.S3SigV4Auth if signer == "s3v4" else botocore.auth.SigV4Auth
    seen = _sign(auth_cls(credentials, service, region), request)
    target, wire_headers = _wire(request, body)
    return _case(name, service, region, method, target, wire_headers, body, credentials, False, None, note) | seen


def presigned_case(name, service, region, method, url, expires, body=b"", headers=None,
                   credentials=None, note=""):
    credentials = credentials or Credentials(ACCESS_KEY, SECRET_KEY)
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    auth_cls = botocore.auth.S3SigV4QueryAuth if service == "s3" else botocore.auth.SigV4QueryAuth
    seen = _sign(auth_cls(credentials, service, region, expires=expires), request)
    target, wire_headers = _wire(request, body)
    return _case(name, service, region, method, target, wire_headers, body, credentials, True, expires, note) | seen


def unsigned_trailer_case(name, url, data, chunk_size, note=""):
    """STREAMING-UNSIGNED-PAYLOAD-TRAILER: botocore's own aws-chunked wrapper with a CRC32 trailer,
    at a small chunk size so the body has many chunks of odd sizes."""
    credentials = Credentials(ACCESS_KEY, SECRET_KEY)
    algorithm = {"in": "trailer", "name": "x-amz-checksum-crc32", "algorithm": "crc32"}
    request_dict = {"headers": {}, "body": data, "context": {"checksum": {"request_algorithm": algorithm}}}
    botocore.httpchecksum._apply_request_trailer_checksum(request_dict)
    headers = request_dict["headers"]
    # HTTP-level chunking is the server's (Kestrel's) business; the tests hand over the decoded body.
    headers.pop("Transfer-Encoding", None)
    wrapper = request_dict["body"]
    wrapper._chunk_size = chunk_size
    body = wrapper.read()
    request = AWSRequest(method="PUT", url=url, data=body, headers=headers)
    request.context.update(request_dict["context"])
    seen = _sign(botocore.auth.S3SigV4Auth(credentials, "s3", "us-east-1"), request)
    target, wire_headers = _wire(request, body)
    case = _case(name, "s3", "us-east-1", "PUT", target, wire_headers, body, credentials, False, None, note) | seen
    case["decodedBase64"] = base64.b64encode(data).decode("ascii")
    return case


def _case(name, service, region, method, target, headers, body, credentials, presigned, expires, note):
    case = {
        "name": name,
        "note": note,
        "service": service,
        "region": region,
        "method": method,
        "target": target,
        "headers": headers,
        "bodyBase64": base64.b64encode(body).decode("ascii"),
        "accessKeyId": credentials.access_key,
        "secretAccessKey": credentials.secret_key,
        "signedAt": SIGNED_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "presigned": presigned,
    }
    if credentials.token:
        case["sessionToken"] = credentials.token
    if expires is not None:
        case["expires"] = expires
    return case


def main():
    temp = Credentials(TEMP_ACCESS_KEY, TEMP_SECRET_KEY, SESSION_TOKEN)
    unsigned_s3 = {"client_config": Config(s3={"payload_signing_enabled": False})}
    form = "application/x-www-form-urlencoded; charset=utf-8"
    cases = [
        header_case(
            "sts-query-post", "sts", "us-east-1", "POST", "http://localhost:4600/",
            body=b"Action=GetCallerIdentity&Version=2011-06-15",
            headers={"Content-Type": form},
            note="query protocol: form body, payload hash is SHA-256 of the body"),
        header_case(
            "iam-query-unicode-body", "iam", "us-east-1", "POST", "http://localhost:4600/",
            body="Action=CreateUser&UserName=J%C3%B6rg%20Smith&Path=%2Fdivision%2F&Version=2010-05-08".encode(),
            headers={"Content-Type": form}),
        header_case(
            "sts-session-token", "sts", "eu-west-1", "POST", "http://localhost:4600/",
            body=b"Action=GetCallerIdentity&Version=2011-06-15",
            headers={"Content-Type": form}, credentials=temp,
            note="temporary credentials: X-Amz-Security-Token header is signed"),
        header_case(
            "sagemaker-json", "sagemaker", "us-west-2", "POST", "http://localhost:4600/",
            body=b'{"MaxResults": 10, "NameContains": "x"}',
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "SageMaker.ListModels"}),
        header_case(
            "json-date-header", "kinesis", "us-east-1", "POST", "http://localhost:4600/",
            body=b'{"Limit": 1}',
            headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Kinesis_20131202.ListStreams",
                     "Date": "Mon, 01 Jan 2001 00:00:00 GMT"},
            note="Date header instead of X-Amz-Date; botocore rewrites it to the signing time"),
        header_case(
            "restjson-path-normalised", "lambda", "us-east-1", "GET",
            "http://localhost:4600/2015-03-31/functions/./my%3Afunc//versions/../aliases?Marker=a%2Fb%20c&MaxItems=5",
            note="non-S3: the path is normalised and every segment encoded again (my%3Afunc -> my%253Afunc)"),
        header_case(
            "restjson-repeated-query", "sagemaker", "us-east-1", "GET",
            "http://localhost:4600/a/b?z=1&a=2&a=1&empty=&flag&%E2%82%AC=%C3%BC&tilde=~x&star=%2A",
            note="repeated names sorted by value, empty values as key=, unicode names"),
        header_case(
            "header-whitespace-duplicates", "sts", "us-east-1", "POST", "http://localhost:4600/",
            body=b"Action=GetCallerIdentity&Version=2011-06-15",
            headers={"Content-Type": form, "X-Custom": "  a   b \t c  "},
            duplicates=[("X-Multi", "one"), ("X-Multi", " two  three ")],
            note="trimmed values, collapsed spaces, repeated headers joined with commas"),
        header_case(
            "s3-put-hex", "s3", "us-east-1", "PUT", "http://localhost:4600/bucket/plain-key.txt",
            body=b"hello, s3 world\n", headers={"Content-Type": "text/plain"}, signer="s3v4",
            note="S3 header auth with a hex x-amz-content-sha256 over the body"),
        header_case(
            "s3-put-odd-key", "s3", "us-east-1", "PUT",
            "http://localhost:4600/bucket/dir%20name/a%2Bb%252Fc%20%C3%BC%E2%82%AC~%21%27%28%29.txt",
            body=b"odd key body", signer="s3v4",
            note="S3: canonical URI is the raw path as sent (spaces, +, %2F, unicode), no double encoding"),
        header_case(
            "s3-virtual-host", "s3", "us-east-1", "PUT", "http://my-bucket.s3.localhost:4600/k%3Dv/x.bin",
            body=b"\x00\x01\x02", signer="s3v4",
            note="virtual-host style: the bucket is in the signed Host header, not the path"),
        header_case(
            "s3-unsigned-payload", "s3", "us-east-1", "PUT", "https://localhost:4600/bucket/unsigned.bin",
            body=b"payload not covered by the signature", signer="s3v4", context=unsigned_s3,
            note="x-amz-content-sha256: UNSIGNED-PAYLOAD"),
        header_case(
            "s3-list-query", "s3", "eu-central-1", "GET",
            "http://localhost:4600/bucket?list-type=2&prefix=photos%2F2026%20nov&encoding-type=url&delimiter=%2F",
            signer="s3v4"),
        header_case(
            "s3-session-token", "s3", "us-east-1", "GET", "http://localhost:4600/bucket/key", signer="s3v4",
            credentials=temp),
        unsigned_trailer_case(
            "s3-unsigned-trailer-odd-chunks", "http://localhost:4600/bucket/chunked.bin",
            bytes(range(256)) * 3 + b"tail", chunk_size=97,
            note="aws-chunked with 97-byte chunks and an x-amz-checksum-crc32 trailer, as the aws CLI sends"),
        presigned_case(
            "s3-presigned-get", "s3", "us-east-1", "GET",
            "http://localhost:4600/bucket/report%202026.csv?versionId=3%2FL4kqtJl", expires=3600,
            note="payload hash UNSIGNED-PAYLOAD; canonical query excludes X-Amz-Signature"),
        presigned_case(
            "s3-presigned-token", "s3", "us-east-1", "GET", "http://localhost:4600/bucket/secret.txt",
            expires=600, credentials=temp),
        presigned_case(
            "s3-presigned-put", "s3", "ap-southeast-2", "PUT", "http://localhost:4600/bucket/upload.bin",
            expires=604800, headers={"Content-Type": "application/octet-stream"}),
        presigned_case(
            "sts-presigned-get", "sts", "us-east-1", "GET",
            "http://localhost:4600/?Action=GetCallerIdentity&Version=2011-06-15", expires=900,
            note="non-S3 presigned: payload hash is SHA-256 of the (empty) body, not UNSIGNED-PAYLOAD"),
    ]
    out = {
        "generator": "tests/Kiln.Protocol.Tests/SigV4/make-vectors.py",
        "botocore": botocore.__version__,
        "cases": cases,
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vectors.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
