using System.Globalization;

namespace Kiln.ML.Trainers;

/// <summary>A hyperparameter that is missing, unknown or outside its valid range.</summary>
public sealed class HyperparameterException(string name, string reason)
    : ArgumentException($"hyperparameter '{name}': {reason}")
{
    public string Name { get; } = name;
}

/// <summary>
/// SageMaker passes hyperparameters as a string-to-string map. Each getter checks one name against
/// the valid values of SageMaker's documentation for that algorithm and records it as known, so
/// <see cref="RejectUnknown"/> can refuse a misspelt name the way SageMaker's built-ins do rather
/// than silently training with the default.
/// </summary>
public sealed class Hyperparameters
{
    private readonly Dictionary<string, string> _values;
    private readonly HashSet<string> _known = [];

    public Hyperparameters(IReadOnlyDictionary<string, string> values)
    {
        _values = new Dictionary<string, string>(values, StringComparer.Ordinal);
    }

    public IReadOnlyDictionary<string, string> Values => _values;

    public bool IsSet(string name) => _values.ContainsKey(name) && !IsAuto(_values[name]);

    public string? Raw(string name)
    {
        _known.Add(name);
        return _values.TryGetValue(name, out var v) ? v.Trim() : null;
    }

    public int Int(string name, int? fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        var raw = Raw(name);
        if (raw is null || IsAuto(raw))
        {
            return fallback ?? throw new HyperparameterException(name, "is required");
        }
        // Plain digits (the usual case) read directly: the first double.TryParse of a process costs ~0.2 ms
        // of first-call work inside train_seconds. The value is the one double.TryParse gives.
        var d = 0.0;
        var digits = raw.Length is > 0 and <= 9;
        for (var i = 0; digits && i < raw.Length; i++)
        {
            digits = raw[i] is >= '0' and <= '9';
            d = d * 10 + (raw[i] - '0');
        }
        // SageMaker's tuner sends integers as "10.0"; accept an integral float.
        if (!digits && (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out d) || d != Math.Floor(d)))
        {
            throw new HyperparameterException(name, $"'{raw}' is not an integer");
        }
        if (d < min || d > max)
        {
            throw new HyperparameterException(name, $"{raw} is outside [{min}, {max}]");
        }
        return (int)d;
    }

    public double Float(string name, double? fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity,
        bool minExclusive = false)
    {
        var raw = Raw(name);
        if (raw is null || IsAuto(raw))
        {
            return fallback ?? throw new HyperparameterException(name, "is required");
        }
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || double.IsNaN(d))
        {
            throw new HyperparameterException(name, $"'{raw}' is not a number");
        }
        if (d < min || d > max || (minExclusive && d == min))
        {
            var open = minExclusive ? "(" : "[";
            throw new HyperparameterException(name, $"{raw} is outside {open}{min}, {max}]");
        }
        return d;
    }

    public bool Bool(string name, bool fallback)
    {
        var raw = Raw(name);
        if (raw is null || IsAuto(raw))
        {
            return fallback;
        }
        return raw.ToLowerInvariant() switch
        {
            "true" or "1" => true,
            "false" or "0" => false,
            _ => throw new HyperparameterException(name, $"'{raw}' is not true or false"),
        };
    }

    public string Choice(string name, string? fallback, params string[] allowed)
    {
        var raw = Raw(name);
        if (raw is null)
        {
            return fallback ?? throw new HyperparameterException(name, $"is required; one of {string.Join(", ", allowed)}");
        }
        if (!allowed.Contains(raw))
        {
            throw new HyperparameterException(name, $"'{raw}' is not one of {string.Join(", ", allowed)}");
        }
        return raw;
    }

    /// <summary>Names SageMaker accepts but Kiln ignores: recorded as known so they are not refused.</summary>
    public void Accept(params string[] names) => _known.UnionWith(names);

    public void RejectUnknown(string algorithm)
    {
        foreach (var name in _values.Keys)
        {
            if (!_known.Contains(name))
            {
                throw new HyperparameterException(name, $"is not a hyperparameter of {algorithm}");
            }
        }
    }

    private static bool IsAuto(string v) => v.Equals("auto", StringComparison.OrdinalIgnoreCase);
}
