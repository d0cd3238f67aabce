using System;

namespace CnnDsl.Runtime;

/// <summary>
/// Iterates a <see cref="Dataset"/> in mini-batches. Each epoch is shuffled from (seed, epoch), so a run is
/// reproducible and resuming at epoch e sees the same order as an uninterrupted run. Batches are copied
/// (and augmented) into buffers the loader owns, allocated once in the constructor: iterating allocates nothing.
/// <code>
/// loader.StartEpoch(epoch);
/// while (loader.MoveNext()) model.TrainStep(loader.Input, loader.Labels, loader.BatchSize, optimizer);
/// </code>
/// </summary>
public sealed class DataLoader
{
    private readonly float[] _input;
    private readonly int[] _labels;
    private readonly int[] _order;
    private readonly ulong _seed;
    private SplitMix64 _rng;
    private int _next;

    public DataLoader(Dataset data, int batchSize, bool shuffle = true, int seed = 0,
                      DataAugmentation? augmentation = null, bool dropLast = false)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Must be positive.");
        Augmentation = augmentation ?? DataAugmentation.None;
        if (Augmentation.MaxShift < 0)
            throw new ArgumentOutOfRangeException(nameof(augmentation), Augmentation.MaxShift, "MaxShift must not be negative.");
        MaxBatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        _seed = (ulong)(uint)seed;
        _input = new float[batchSize * data.SampleSize];
        _labels = new int[batchSize];
        _order = new int[data.Count];
        StartEpoch(0);
    }

    public Dataset Data { get; }
    public DataAugmentation Augmentation { get; }
    public int MaxBatchSize { get; }
    public bool Shuffle { get; }
    public bool DropLast { get; }

    /// <summary>The epoch last started.</summary>
    public int Epoch { get; private set; }

    /// <summary>Batches per epoch (the last one may be smaller unless <see cref="DropLast"/>).</summary>
    public int BatchCount => DropLast ? Data.Count / MaxBatchSize : (Data.Count + MaxBatchSize - 1) / MaxBatchSize;

    /// <summary>Examples per epoch that are actually visited.</summary>
    public int ExamplesPerEpoch => DropLast ? BatchCount * MaxBatchSize : Data.Count;

    /// <summary>Examples in the current batch.</summary>
    public int BatchSize { get; private set; }

    /// <summary>Index of the current batch within the epoch (-1 before the first <see cref="MoveNext"/>).</summary>
    public int BatchIndex { get; private set; }

    /// <summary>The current batch's images, BatchSize × C × H × W.</summary>
    public ReadOnlySpan<float> Input => _input.AsSpan(0, BatchSize * Data.SampleSize);

    /// <summary>The current batch's labels.</summary>
    public ReadOnlySpan<int> Labels => _labels.AsSpan(0, BatchSize);

    /// <summary>Resets to the start of <paramref name="epoch"/> and shuffles (Fisher–Yates) from (seed, epoch).</summary>
    public void StartEpoch(int epoch)
    {
        Epoch = epoch;
        _next = 0;
        BatchSize = 0;
        BatchIndex = -1;
        _rng = new SplitMix64(_seed * 0x100000001B3UL ^ (ulong)(uint)epoch * 0xD6E8FEB86659FD93UL);
        for (int i = 0; i < _order.Length; i++) _order[i] = i;
        if (!Shuffle) return;
        for (int i = _order.Length - 1; i > 0; i--)
        {
            int j = _rng.NextInt(i + 1);
            (_order[i], _order[j]) = (_order[j], _order[i]);
        }
    }

    /// <summary>Fills the next batch; false at the end of the epoch.</summary>
    public bool MoveNext()
    {
        int remaining = Data.Count - _next;
        if (remaining <= 0 || (DropLast && remaining < MaxBatchSize)) { BatchSize = 0; return false; }
        int n = Math.Min(MaxBatchSize, remaining);
        int size = Data.SampleSize;
        var images = Data.Images.AsSpan();
        for (int b = 0; b < n; b++)
        {
            int index = _order[_next + b];
            _labels[b] = Data.Labels[index];
            var src = images.Slice(index * size, size);
            var dst = _input.AsSpan(b * size, size);
            if (Augmentation.IsIdentity) src.CopyTo(dst);
            else Augment(src, dst);
        }
        _next += n;
        BatchSize = n;
        BatchIndex++;
        return true;
    }

    private void Augment(ReadOnlySpan<float> src, Span<float> dst)
    {
        int c = Data.Channels, h = Data.Height, w = Data.Width, k = Augmentation.MaxShift;
        bool flip = Augmentation.HorizontalFlip && (_rng.NextUInt64() & 1) != 0;
        int dx = k > 0 ? _rng.NextInt(2 * k + 1) - k : 0;
        int dy = k > 0 ? _rng.NextInt(2 * k + 1) - k : 0;
        float fill = Data.ZeroPixelValue;
        for (int ch = 0; ch < c; ch++)
        {
            for (int y = 0; y < h; y++)
            {
                var row = dst.Slice((ch * h + y) * w, w);
                int sy = y - dy;
                if ((uint)sy >= (uint)h) { row.Fill(fill); continue; }
                var srcRow = src.Slice((ch * h + sy) * w, w);
                for (int x = 0; x < w; x++)
                {
                    // Output pixel x shows source pixel x - dx of the (optionally mirrored) image.
                    int sx = x - dx;
                    if ((uint)sx >= (uint)w) { row[x] = fill; continue; }
                    row[x] = srcRow[flip ? w - 1 - sx : sx];
                }
            }
        }
    }
}
