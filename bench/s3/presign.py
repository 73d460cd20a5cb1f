#!/usr/bin/python3
"""SigV4 query-string presigning (UNSIGNED-PAYLOAD), fast enough to make 100k URLs in a few seconds.
   presign.py ENDPOINT mb BUCKET             create the bucket (a presigned PUT, sent)
   presign.py ENDPOINT GET|PUT KEY [COUNT]   print one URL, or COUNT URLs for KEY-0 .. KEY-(COUNT-1)
   presign.py ENDPOINT PUTPATHS KEY COUNT    print only path?query, for wrk
Keys are under bucket "bench". Credentials from KILN_ROOT_ACCESS_KEY_ID / KILN_ROOT_SECRET_ACCESS_KEY."""
import datetime, hashlib, hmac, os, sys, urllib.parse, urllib.request

endpoint, op = sys.argv[1], sys.argv[2]
ak, sk = os.environ["KILN_ROOT_ACCESS_KEY_ID"], os.environ["KILN_ROOT_SECRET_ACCESS_KEY"]
host = urllib.parse.urlparse(endpoint).netloc
now = datetime.datetime.now(datetime.timezone.utc)
amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
scope = f"{day}/us-east-1/s3/aws4_request"
key = b"AWS4" + sk.encode()
for part in (day, "us-east-1", "s3", "aws4_request"):
    key = hmac.new(key, part.encode(), hashlib.sha256).digest()
fixed = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", f"{ak}/{scope}"),
         ("X-Amz-Date", amz_date), ("X-Amz-Expires", "3600"), ("X-Amz-SignedHeaders", "host")]
query = "&".join(f"{k}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(fixed))

def path_query(method, path):
    canonical = f"{method}\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD"
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    return f"{path}?{query}&X-Amz-Signature={hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()}"

if op == "mb":
    req = urllib.request.Request(endpoint + path_query("PUT", "/" + sys.argv[3]), method="PUT", data=b"")
    try:
        urllib.request.urlopen(req).read()
    except urllib.error.HTTPError as e:
        if e.code != 409:
            raise
elif op in ("GET", "PUT"):
    name = sys.argv[3]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    for n in (range(count) if count else [None]):
        print(endpoint + path_query(op, f"/bench/{name}" + ("" if n is None else f"-{n}")))
elif op == "PUTPATHS":
    out = sys.stdout
    for n in range(int(sys.argv[4])):
        out.write(path_query("PUT", f"/bench/{sys.argv[3]}-{n}") + "\n")
