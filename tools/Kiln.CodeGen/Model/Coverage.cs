using System.Text.Json;

namespace Kiln.CodeGen.Model;

/// <summary>One service entry of <c>api-coverage.json</c>: <c>{ "protocol": ..., "ops": { "Name": "P0" } }</c>.</summary>
public sealed record CoverageService(string ServiceId, string? Protocol, IReadOnlyList<string> Operations);

public static class Coverage
{
    /// <summary>The services of <paramref name="path"/> with the operations of <paramref name="alsoTypedPath"/>
    /// (same format, may be absent) added to them. A service only the second file names is an error:
    /// it adds operations, never services.</summary>
    public static IReadOnlyList<CoverageService> Load(string path, string alsoTypedPath)
    {
        var services = Load(path);
        if (!File.Exists(alsoTypedPath))
        {
            return services;
        }

        var extra = Load(alsoTypedPath).ToDictionary(s => s.ServiceId, StringComparer.Ordinal);
        var unknown = extra.Keys.Except(services.Select(s => s.ServiceId)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidDataException($"{alsoTypedPath} names services api-coverage.json lacks: {string.Join(", ", unknown)}");
        }

        return services.Select(s => extra.TryGetValue(s.ServiceId, out var more)
                ? s with { Operations = s.Operations.Union(more.Operations).Order(StringComparer.Ordinal).ToList() }
                : s)
            .ToList();
    }

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
