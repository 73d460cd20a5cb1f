using System.Text.Json;

namespace Kiln.CodeGen.Model;

/// <summary>One service entry of <c>api-coverage.json</c>: <c>{ "protocol": ..., "ops": { "Name": "P0" } }</c>.</summary>
public sealed record CoverageService(string ServiceId, string? Protocol, IReadOnlyList<string> Operations);

public static class Coverage
{
    /// <summary>Services sorted by id; their listed operations sorted by name. Top-level keys that are
    /// not service entries (notes, legends) are skipped.</summary>
    public static IReadOnlyList<CoverageService> Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var services = new List<CoverageService>();
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Object
                || !entry.Value.TryGetProperty("ops", out var ops)
                || ops.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var protocol = entry.Value.TryGetProperty("protocol", out var p) && p.ValueKind == JsonValueKind.String
                ? p.GetString()
                : null;
            var names = ops.EnumerateObject().Select(o => o.Name).Distinct(StringComparer.Ordinal)
                .OrderBy(n => n, StringComparer.Ordinal).ToList();
            services.Add(new CoverageService(entry.Name, protocol, names));
        }

        return services.OrderBy(s => s.ServiceId, StringComparer.Ordinal).ToList();
    }
}
