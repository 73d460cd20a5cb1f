#!/usr/bin/env bash
# Authorization cost (issue 4): requests/s of a presigned 1 KiB GetObject by an IAM user whose (managed) policy
# has 20 statements (the allowing one last, so every statement is evaluated), beside the same GET by the
# root account (no identity policy to evaluate), 32 keep-alive connections, alternated twice.
#   bench/s3/auth-cost.sh [seconds=10] [connections=32]
set -euo pipefail
source "$(dirname "$0")/common.sh"
seconds="${1:-10}"; conns="${2:-32}"
ensure_bench_packages wrk curl python3-boto3
"$top/kiln" version >/dev/null
machine
start_kiln
head -c 1024 /dev/urandom > "$work/1k.bin"
curl -fsS -X PUT -T "$work/1k.bin" -H 'Expect:' "$(presign PUT 1k.bin)" >/dev/null
# A user with 20 statements: 19 that do not match this request (other actions, other buckets, a
# condition that fails, a deny on another prefix), then the allow.
read -r ukey usecret < <(ENDPOINT="http://127.0.0.1:$kport" /usr/bin/python3 - <<'PY'
import json, os, boto3
iam = boto3.client("iam", endpoint_url=os.environ["ENDPOINT"], region_name="us-east-1",
                   aws_access_key_id=os.environ["KILN_ROOT_ACCESS_KEY_ID"],
                   aws_secret_access_key=os.environ["KILN_ROOT_SECRET_ACCESS_KEY"])
stmts = []
for i in range(6):
    stmts.append({"Sid": f"Other{i}", "Effect": "Allow", "Action": [f"s3:PutObject", "s3:DeleteObject"],
                  "Resource": f"arn:aws:s3:::other-bucket-{i}/*"})
for i in range(6):
    stmts.append({"Sid": f"Kms{i}", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt"],
                  "Resource": f"arn:aws:kms:us-east-1:000000000000:key/{i:08d}-0000-0000-0000-000000000000"})
for i in range(4):
    stmts.append({"Sid": f"Cond{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bench/*",
                  "Condition": {"IpAddress": {"aws:SourceIp": f"203.0.113.{i}/32"}}})
stmts.append({"Sid": "DenyPrivate", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::bench/private/*"})
stmts.append({"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bench",
              "Condition": {"StringLike": {"s3:prefix": ["team-a/*"]}}})
stmts.append({"Sid": "Iam", "Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"})
stmts.append({"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
              "Resource": "arn:aws:s3:::bench/*"})
assert len(stmts) == 20
iam.create_user(UserName="bench-reader")
# A managed policy: 20 statements are over the 2,048-byte limit of an inline user policy.
arn = iam.create_policy(PolicyName="twenty-statements", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": stmts}, separators=(",", ":")))["Policy"]["Arn"]
iam.attach_user_policy(UserName="bench-reader", PolicyArn=arn)
k = iam.create_access_key(UserName="bench-reader")["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
PY
)
root_url="$(presign GET 1k.bin)"
user_url="$(KILN_ROOT_ACCESS_KEY_ID="$ukey" KILN_ROOT_SECRET_ACCESS_KEY="$usecret" presign GET 1k.bin)"
cmp <(curl -fsS "$user_url") "$work/1k.bin"   # the user really is allowed
[ "$(curl -s -o /dev/null -w '%{http_code}' "$(KILN_ROOT_ACCESS_KEY_ID="$ukey" KILN_ROOT_SECRET_ACCESS_KEY="$usecret" presign GET private/x)")" = 403 ]

rps() { wrk -t2 -c"$conns" -d"${seconds}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
wrk -t2 -c"$conns" -d10s "$root_url" >/dev/null; wrk -t2 -c"$conns" -d10s "$user_url" >/dev/null   # JIT warm-up
: > "$work/root.rps"; : > "$work/user.rps"
for _ in 1 2; do rps "$root_url" >> "$work/root.rps"; rps "$user_url" >> "$work/user.rps"; done
r="$(median < "$work/root.rps")"; u="$(median < "$work/user.rps")"
echo "wrk -t2 -c$conns -d${seconds}s, presigned GET of 1 KiB, median of 2 alternated runs"
printf '%-40s %10s req/s  (%s)\n' "root account" "$r" "$(tr '\n' ' ' < "$work/root.rps")" \
  "IAM user, 20-statement policy" "$u" "$(tr '\n' ' ' < "$work/user.rps")"
echo "Authorization ratio user/root: $(ratio "$u" "$r")   (goal >= 0.9)"
