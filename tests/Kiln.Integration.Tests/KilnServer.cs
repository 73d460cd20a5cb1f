using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kiln.Integration.Tests;

/// <summary>A real Kiln server process on a free loopback port with its own data directory.</summary>
public sealed class KilnServer : IAsyncDisposable
{
    private Process? _process;
    private readonly System.Text.StringBuilder _output = new();

    private KilnServer(string dataDir, int port)
    {
        DataDir = dataDir;
        Port = port;
    }

    public string DataDir { get; }
    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public string AccessKeyId { get; private set; } = "";
    public string SecretAccessKey { get; private set; } = "";
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string KilnDll => Path.Combine(RepoRoot, "artifacts", "kiln", "kiln.dll");

    public static async Task<KilnServer> StartAsync(string? dataDir = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var server = new KilnServer(dataDir ?? NewTempDir(), FreePort());
        await server.StartProcessAsync(environment);
        return server;
    }

    public static string NewTempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kiln-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Stops with SIGTERM (a clean drain) and starts again on the same data directory and port.</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        await StartProcessAsync(null);
    }

    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        ExitCode = _process.ExitCode;
        _process.Dispose();
        _process = null;
    }

    public int? ExitCode { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task StartProcessAsync(IReadOnlyDictionary<string, string>? environment)
    {
        if (!File.Exists(KilnDll))
        {
            throw new InvalidOperationException($"{KilnDll} is missing: run ./kiln version (or ./test.sh) first.");
        }

        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { KilnDll, "serve", "--port", Port.ToString(), "--data-dir", DataDir },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Remove(RootKeyVariable);
        start.Environment.Remove(RootSecretVariable);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"kiln serve exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await http.GetAsync(Endpoint + "/_kiln/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    ReadCredentials(environment);
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"kiln serve did not become healthy:\n{Output}");
    }

    private void ReadCredentials(IReadOnlyDictionary<string, string>? environment)
    {
        if (environment is not null && environment.TryGetValue(RootKeyVariable, out var id))
        {
            AccessKeyId = id;
            SecretAccessKey = environment[RootSecretVariable];
            return;
        }

        foreach (var line in File.ReadAllLines(Path.Combine(DataDir, "root-credentials")))
        {
            var parts = line.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts is ["aws_access_key_id", var key])
            {
                AccessKeyId = key;
            }
            else if (parts is ["aws_secret_access_key", var secret])
            {
                SecretAccessKey = secret;
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public const string RootKeyVariable = "KILN_ROOT_ACCESS_KEY_ID";
    public const string RootSecretVariable = "KILN_ROOT_SECRET_ACCESS_KEY";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kiln.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Kiln.sln not found above the test binaries");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
