using System;
using System.Collections.Generic;

namespace CnnDsl.Dsl.Semantics;

/// <summary>"Did you mean" by edit distance.</summary>
internal static class Suggestions
{
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        string lower = word.ToLowerInvariant();
        foreach (var candidate in candidates)
        {
            int d = Distance(lower, candidate.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = candidate; }
        }
        int allowed = Math.Max(1, Math.Min(3, word.Length / 3 + 1));
        return bestDistance <= allowed ? best : null;
    }

    public static string DidYouMean(string word, IEnumerable<string> candidates)
    {
        var closest = Closest(word, candidates);
        return closest == null ? string.Empty : $"; did you mean `{closest}`?";
    }

    private static int Distance(string a, string b)
    {
        if (a.Length > 64 || b.Length > 64) return int.MaxValue;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    current[j] = Math.Min(current[j], previous[j - 1]); // transposition, approximately
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
