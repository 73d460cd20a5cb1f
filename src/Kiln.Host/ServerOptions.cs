namespace Kiln.Host;

/// <summary>What <c>kiln serve</c> is told on its command line.</summary>
public sealed class ServerOptions
{
    public string Host { get; set; } = "127.0.0.1";
    public int Port { get; set; } = 4600;
    public string DataDir { get; set; } = ".kiln";
    public string Region { get; set; } = "us-east-1";
    /// <summary>Allows plain HTTP on a non-loopback address.</summary>
    public bool Insecure { get; set; }
    public string? TlsCertificate { get; set; }
    public string? TlsKey { get; set; }
    /// <summary>Length in seconds of a lifecycle/restore "day" (DESIGN.md, Time); 86400 is real time.</summary>
    public double DaySeconds { get; set; } = 86400;
    /// <summary>Seconds between CloudTrail log file deliveries (AWS: about 5 minutes); env
    /// KILN_CLOUDTRAIL_DELIVERY_SECONDS, so tests can watch a delivery in seconds.</summary>
    /// <summary>STS credentials live this multiple of their DurationSeconds (1 = AWS).</summary>
    public double SessionTimeScale { get; set; } = Kiln.Services.Sts.Domain.SessionTime.ScaleFromEnvironment();
    public double TrailDeliverySeconds { get; set; } = Kiln.Services.CloudTrail.TrailDeliveryOptions.SecondsFromEnvironment();
}
