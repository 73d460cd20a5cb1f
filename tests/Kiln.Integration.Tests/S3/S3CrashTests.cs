using System.Runtime.InteropServices;
using System.Text.Json;

namespace Kiln.Integration.Tests.S3;

/// <summary>DESIGN.md, "Nothing lost": SIGKILL the server while clients PUT, complete multipart
/// uploads and delete, restart it, and check that every acknowledged write is there intact, every
/// acknowledged delete is gone, nothing partial is visible, and no temp file outlives the restart.
/// The clients log each operation before sending it and once it is acknowledged, so an operation
/// in flight at the kill may have happened or not, but never halfway.</summary>
public sealed class S3CrashTests
{
    private const int Rounds = 20;

    // One boto3 process per round: first it checks the state the previous kill left (VERIFY line),
    // then three threads write until the server dies under them.
    private const string Script = """
        import os, sys, json, hashlib, threading, random, boto3, botocore
        from botocore.config import Config
        LOG, ROUND, CHECK = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        cfg = Config(retries={'max_attempts': 1}, connect_timeout=2, read_timeout=20, s3={'addressing_style': 'path'})
        def client():
            return boto3.client('s3', endpoint_url=os.environ['ENDPOINT'], region_name='us-east-1', config=cfg)
        s3 = client()
        if ROUND == 0:
            s3.create_bucket(Bucket='crash')
        expected = {}
        if os.path.exists(LOG):
            for line in open(LOG):
                e = json.loads(line)
                k = e['key']
                if e['op'] == 'put':
                    expected[k] = dict(e, state='either' if e['state'] == 'begin' else 'present')
                elif e['op'] == 'del':
                    if e['state'] == 'begin':
                        expected[k]['state'] = 'either'
                    else:
                        expected[k]['state'] = 'absent'
        problems = []
        listed = {}
        for page in s3.get_paginator('list_objects_v2').paginate(Bucket='crash'):
            for o in page.get('Contents', []):
                listed[o['Key']] = o
        for k, o in listed.items():
            x = expected.get(k)
            if x is None or x['state'] == 'absent':
                problems.append('unexpected object ' + k)
            elif o['ETag'] != '"' + x['etag'] + '"' or o['Size'] != x['size']:
                problems.append('partial or wrong object %s: %s %s vs %s %s' % (k, o['ETag'], o['Size'], x['etag'], x['size']))
            elif k.startswith(CHECK):
                body = s3.get_object(Bucket='crash', Key=k)['Body'].read()
                if hashlib.md5(body).hexdigest() != x['md5'] or len(body) != x['size']:
                    problems.append('bytes differ for ' + k)
        for k, x in expected.items():
            if x['state'] == 'present' and k not in listed:
                problems.append('acknowledged object lost ' + k)
        acked = sum(1 for x in expected.values() if x['state'] == 'present')
        print('VERIFY ' + json.dumps({'problems': problems, 'listed': len(listed), 'acked': acked}), flush=True)
        if ROUND < 0:
            sys.exit(0)
        lock = threading.Lock()
        log = open(LOG, 'a')
        def note(**e):
            with lock:
                log.write(json.dumps(e) + '\n')
                log.flush()
        errors = []
        def worker(t):
            c = client()
            rnd = random.Random(ROUND * 10 + t)
            mine = []
            n = 0
            try:
                while True:
                    n += 1
                    key = 'r%d/t%d/%d' % (ROUND, t, n)
                    op = rnd.random()
                    if op < 0.25 and mine:
                        k = mine.pop(rnd.randrange(len(mine)))
                        note(op='del', key=k, state='begin')
                        c.delete_object(Bucket='crash', Key=k)
                        note(op='del', key=k, state='ack')
                    elif op < 0.35:
                        p1, p2 = os.urandom(5 * 1024 * 1024), os.urandom(rnd.randrange(1, 200000))
                        etag = hashlib.md5(hashlib.md5(p1).digest() + hashlib.md5(p2).digest()).hexdigest() + '-2'
                        uid = c.create_multipart_upload(Bucket='crash', Key=key)['UploadId']
                        e1 = c.upload_part(Bucket='crash', Key=key, UploadId=uid, PartNumber=1, Body=p1)['ETag']
                        e2 = c.upload_part(Bucket='crash', Key=key, UploadId=uid, PartNumber=2, Body=p2)['ETag']
                        note(op='put', key=key, state='begin', etag=etag, md5=hashlib.md5(p1 + p2).hexdigest(), size=len(p1) + len(p2))
                        c.complete_multipart_upload(Bucket='crash', Key=key, UploadId=uid, MultipartUpload={'Parts': [
                            {'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]})
                        note(op='put', key=key, state='ack', etag=etag, md5=hashlib.md5(p1 + p2).hexdigest(), size=len(p1) + len(p2))
                        mine.append(key)
                    else:
                        body = os.urandom(rnd.randrange(0, 400000))
                        m = hashlib.md5(body).hexdigest()
                        note(op='put', key=key, state='begin', etag=m, md5=m, size=len(body))
                        c.put_object(Bucket='crash', Key=key, Body=body)
                        note(op='put', key=key, state='ack', etag=m, md5=m, size=len(body))
                        mine.append(key)
            except botocore.exceptions.ClientError as e:
                errors.append(str(e))
            except Exception:
                pass  # the server was killed under us
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(3)]
        for t in threads:
            t.start()
        print('STARTED', flush=True)
        for t in threads:
            t.join()
        print('ERRORS ' + json.dumps(errors), flush=True)
        """;

    [Fact]
    public async Task Sigkill_DuringPutsMultipartAndDeletes_LosesNothingAcknowledged_ShowsNothingPartial()
    {
        await using var server = await KilnServer.StartAsync();
        var log = Path.Combine(server.DataDir, "..", Path.GetFileName(server.DataDir) + "-crash.log");
        var random = new Random(42);
        try
        {
            var totalAcked = 0;
            for (var round = 0; round <= Rounds; round++)
            {
                var last = round == Rounds;
                var args = new[] { log, last ? "-1" : round.ToString(), $"r{round - 1}/" };
                var run = Clients.RunAsync("/usr/bin/python3", ["-c", Script, .. args], Env(server));
                if (!last)
                {
                    // Kill once this round has acknowledged a few writes, at a random moment after.
                    var before = File.Exists(log) ? File.ReadAllLines(log).Length : 0;
                    var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                    while ((File.Exists(log) ? File.ReadAllLines(log).Length : 0) < before + 6 && !run.IsCompleted &&
                           DateTime.UtcNow < deadline)
                    {
                        await Task.Delay(20);
                    }

                    await Task.Delay(random.Next(0, 250));
                    KillServer(server);
                }

                var result = await run;
                var verify = result.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("VERIFY ", StringComparison.Ordinal));
                Assert.True(verify is not null, $"round {round}: {result}");
                var report = JsonDocument.Parse(verify["VERIFY ".Length..]).RootElement;
                Assert.True(report.GetProperty("problems").GetArrayLength() == 0, $"round {round}: {verify}\n{server.Output}");
                totalAcked = report.GetProperty("acked").GetInt32();
                var errors = result.Stdout.Split('\n').FirstOrDefault(l => l.StartsWith("ERRORS ", StringComparison.Ordinal));
                Assert.True(last || errors == "ERRORS []", $"round {round}: S3 errors before the kill: {errors}");
                if (!last)
                {
                    await server.RestartAsync();
                    var temp = Path.Combine(server.DataDir, "s3", "tmp");
                    Assert.Empty(Directory.EnumerateFiles(temp));
                }
            }

            Assert.True(totalAcked > Rounds * 3, $"only {totalAcked} acknowledged objects: the workload did not run");
            var entries = File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            bool Acked(JsonElement e, string op) => e.GetProperty("op").GetString() == op && e.GetProperty("state").GetString() == "ack";
            Assert.Contains(entries, e => Acked(e, "put") && e.GetProperty("etag").GetString()!.EndsWith("-2", StringComparison.Ordinal));
            Assert.Contains(entries, e => Acked(e, "del"));
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static Dictionary<string, string> Env(KilnServer server) => new()
    {
        ["ENDPOINT"] = server.Endpoint,
        ["AWS_ACCESS_KEY_ID"] = server.AccessKeyId,
        ["AWS_SECRET_ACCESS_KEY"] = server.SecretAccessKey,
        ["AWS_CONFIG_FILE"] = "/dev/null",
        ["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null",
        ["PYTHONDONTWRITEBYTECODE"] = "1",
    };

    /// <summary>SIGKILL the server process of this test: found by its own data directory on its
    /// command line, so no other process can be hit.</summary>
    private static void KillServer(KilnServer server)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            var args = cmdline.Split('\0');
            if (args.Contains("serve") && args.Contains(server.DataDir))
            {
                Assert.Equal(0, Kill(pid, 9));
                return;
            }
        }

        Assert.Fail("server process not found");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
