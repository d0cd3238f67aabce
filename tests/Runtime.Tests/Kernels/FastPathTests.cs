using System;
using System.Collections.Generic;
using CnnDsl.Runtime.Kernels;
using static CnnDsl.Runtime.Tests.Kernels.KernelTestUtil;

namespace CnnDsl.Runtime.Tests.Kernels;

[CollectionDefinition(nameof(KernelSettings), DisableParallelization = true)]
public sealed class KernelSettings;

/// <summary>
/// Every vector width (forced narrower than the machine's best, down to the portable path) and
/// thread count runs the float kernels on awkward sizes — 1, odd, primes, one past a vector or a
/// tile — against the direct-loop reference in double.
/// </summary>
[Collection(nameof(KernelSettings))]
public sealed class FastPathTests : IDisposable
{
    private readonly int _threads = ComputeThreads.Count;

    public void Dispose()
    {
        Simd.Override = null;
        ComputeThreads.Count = _threads;
    }

    public static IEnumerable<object[]> Settings()
    {
        foreach (SimdWidth width in Enum.GetValues<SimdWidth>())
            foreach (int threads in new[] { 1, 2, 3 })
                yield return new object[] { width.ToString(), threads };
    }

    // The products only the FMA paths have (shifted views); the convolutions route around them elsewhere.
    public static IEnumerable<object[]> FmaWidths() =>
        Enum.GetValues<SimdWidth>().Where(w => w != SimdWidth.Portable).Select(w => new object[] { w.ToString() });

    private static readonly int[] s_awkward = { 1, 2, 3, 5, 6, 7, 13, 16, 17, 31, 32, 33, 47, 64, 65, 97 };

    private static void Use(string width, int threads)
    {
        Simd.Override = Enum.Parse<SimdWidth>(width);
        ComputeThreads.Count = threads;
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public unsafe void Matrix_products_match_naive_sums(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(11 + (int)Enum.Parse<SimdWidth>(width) * 7 + threads);
        for (int round = 0; round < 40; round++)
        {
            int m = Pick(rng), n = Pick(rng), k = Pick(rng) * (round % 5 == 0 ? 9 : 1);
            bool transposedA = round % 2 == 1;
            double[] a = RandomArray(rng, m * k), b = RandomArray(rng, k * n), c0 = RandomArray(rng, m * n);
            // A(i,k) at i·aRow + k·aCol: plain (k contiguous) or transposed (i contiguous)
            int aRow = transposedA ? 1 : k, aCol = transposedA ? m : 1;
            var expected = (double[])c0.Clone();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int kk = 0; kk < k; kk++)
                        expected[i * n + j] += a[i * aRow + kk * aCol] * b[kk * n + j];
            float[] af = ToFloat(a), bf = ToFloat(b), serial = ToFloat(c0), parallel = ToFloat(c0);
            fixed (float* pa = af, pb = bf, pc = serial, pp = parallel)
            {
                MatMul.Broadcast(m, n, k, pa, aRow, aCol, pb, n, pc, n);
                MatMul.ParallelBroadcast(m, n, k, pa, aRow, aCol, pb, n, pp, n);
            }
            string at = $"{width} t{threads} m{m} n{n} k{k} transposed {transposedA}";
            AssertClose(ToFloat(expected), serial, 1e-4, "broadcast " + at);
            AssertClose(ToFloat(expected), parallel, 1e-4, "parallel broadcast " + at);

            // C += A·Bᵀ with B n×k
            double[] bt = RandomArray(rng, n * k);
            var expectedDot = (double[])c0.Clone();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int kk = 0; kk < k; kk++)
                        expectedDot[i * n + j] += a[i * k + kk] * bt[j * k + kk];
            float[] btf = ToFloat(bt), dot = ToFloat(c0), parallelDot = ToFloat(c0);
            fixed (float* pa = af, pb = btf, pc = dot, pp = parallelDot)
            {
                MatMul.Dot(m, n, k, pa, k, pb, k, pc, n);
                MatMul.ParallelDot(m, n, k, pa, k, pb, k, pp, n);
            }
            AssertClose(ToFloat(expectedDot), dot, 1e-4, "dot " + at);
            AssertClose(ToFloat(expectedDot), parallelDot, 1e-4, "parallel dot " + at);
        }
    }

    // The product is serial (convolutions split it over threads in bands), so one thread.
    [Theory]
    [MemberData(nameof(FmaWidths))]
    public unsafe void Shifted_view_products_read_outputs_through_the_column_map(string width)
    {
        Use(width, 1);
        var rng = new Random(23 + (int)Enum.Parse<SimdWidth>(width) * 7);
        for (int round = 0; round < 30; round++)
        {
            // rows of 1..40 outputs with 0..3 unused columns after each, planes with a gap after them;
            // lengths shorter than, equal to and longer than a vector, runs crossing strips and panels
            int rowLength = round % 6 == 0 ? 16 : rng.Next(1, 41), rowPitch = rowLength + rng.Next(0, 4);
            int rows = rng.Next(1, 9), planePitch = rows * rowPitch + rng.Next(0, 5);
            var map = new WideColumns(rowLength, rowPitch, rows, planePitch);
            int positions = rowLength * rows * rng.Next(1, 4);
            int first = round % 3 == 0 ? rng.Next(0, positions / 2 + 1) : 0, n = positions - first;
            int m = rng.Next(1, 20), k = round % 4 == 0 ? rng.Next(250, 300) : rng.Next(1, 40);
            var offsets = new nint[k];
            for (int kk = 0; kk < k; kk++) offsets[kk] = rng.Next(0, 50);
            int extent = 50 + map.Of(positions - 1) + 1 + 16;
            double[] a = RandomArray(rng, m * k), b = RandomArray(rng, extent), c0 = RandomArray(rng, m * n);
            var expected = (double[])c0.Clone();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    for (int kk = 0; kk < k; kk++)
                        expected[i * n + j] += a[i * k + kk] * b[offsets[kk] + map.Of(first + j)];
            float[] af = ToFloat(a), bf = ToFloat(b), c = ToFloat(c0);
            fixed (float* pa = af, pb = bf, pc = c)
            fixed (nint* po = offsets)
                MatMul.BroadcastShifted(m, n, k, pa, k, 1, pb, po, map, first, pc, n);
            string at = $"{width} m{m} n{n} k{k} rows of {rowLength} pitch {rowPitch}×{rows}, {planePitch}; first {first}";
            AssertClose(ToFloat(expected), c, 1e-4, "shifted " + at);
        }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Convolution_matches_reference_with_and_without_fused_relu(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(100 + (int)Enum.Parse<SimdWidth>(width) * 10 + threads);
        for (int round = 0; round < 24; round++)
        {
            int rank = 1 + round % 3;
            var g = ConvolutionTests.RandomGeometry(rng, rank, round % 3 == 0 ? PaddingMode.Reflect : PaddingMode.Zeros, rank == 1 ? 70 : rank == 2 ? 19 : 7);
            // every other round the same layer at stride 1 (the shifted-view path), where that leaves an output
            if (round % 2 == 0 && Out(g.InDepth, g.KernelDepth, g.DilationDepth, g.PadDepth) >= 1
                && Out(g.InHeight, g.KernelHeight, g.DilationHeight, g.PadHeight) >= 1 && Out(g.InWidth, g.KernelWidth, g.DilationWidth, g.PadWidth) >= 1)
                g = g with { StrideDepth = 1, StrideHeight = 1, StrideWidth = 1, OutDepth = Out(g.InDepth, g.KernelDepth, g.DilationDepth, g.PadDepth), OutHeight = Out(g.InHeight, g.KernelHeight, g.DilationHeight, g.PadHeight), OutWidth = Out(g.InWidth, g.KernelWidth, g.DilationWidth, g.PadWidth) };
            int batch = new[] { 1, 2, 3, 5 }[round % 4];
            var epilogue = round % 4 < 2 ? Epilogue.Relu : Epilogue.None;
            CheckConvolution(rng, g, batch, epilogue, $"{width} t{threads} batch {batch} {epilogue} {g}");
        }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Convolution_matches_reference_on_layers_of_real_networks(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(7);
        var layers = new[]
        {
            Conv(1, 28, 6, 5, 1, 2),    // LeNet conv1
            Conv(6, 14, 16, 5, 1, 0),   // LeNet conv2
            Conv(3, 32, 32, 3, 1, 1),   // VGG-ish first layer
            Conv(32, 9, 37, 3, 2, 1),   // stride 2, prime channel count
            Conv(3, 45, 10, 7, 2, 3),   // a 7×7 stride-2 stem: four phases, taps of uneven shifts
            Conv(16, 67, 16, 3, 2, 1),  // big enough that batch 1 pads on all threads, rows of 34 (vector deinterleave and tail)
            Conv(8, 20, 9, 3, 3, 0),    // stride 3: nine phases
            Conv(4, 32, 5, 3, 2, 1),    // phase rows of exactly 16 and of 15 (one overlapping vector step, and none)
            Conv(16, 7, 12, 1, 1, 0),   // pointwise
            // weight gradients as a GEMM per tap: channel tiles of 4+4 and of 6+6+1, filter strips
            // whole and with an edge of 13, two groups of 6 channels and 32 filters
            Conv(8, 11, 64, 3, 1, 1),
            Conv(13, 10, 45, 3, 1, 1),
            Conv(12, 9, 64, 3, 1, 1) with { Groups = 2 },
        };
        foreach (var g in layers)
            foreach (int batch in new[] { 1, 4 })
                CheckConvolution(rng, g, batch, Epilogue.Relu, $"{width} t{threads} batch {batch} {g}");
    }

    // Small planes run several examples per backward item (dW's products through all of them), with
    // a last item of fewer examples: batches past 2 × threads × 2 and × 4. A worker's partial dW once
    // moved with the item's size.
    [Theory]
    [MemberData(nameof(SplitSettings))]
    public void Several_examples_per_item_and_a_short_last_item_match_the_reference(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(17);
        var layers = new[]
        {
            Conv(12, 14, 32, 3, 1, 1),  // dW as a GEMM per tap (FashionNet conv2's 14×14, fewer channels)
            Conv(4, 7, 8, 3, 1, 1),     // narrow: dW as dot products
            Conv(6, 9, 10, 3, 1, 1) with { Groups = 2 },
            Conv(8, 15, 12, 3, 2, 1),   // stride 2: phase planes
        };
        foreach (var g in layers)
            foreach (int batch in new[] { 9, 17 })
                CheckConvolution(rng, g, batch, batch == 17 ? Epilogue.None : Epilogue.Relu, $"{width} t{threads} batch {batch} {g}");
    }

    // The chains' partial sums share the caller's scratch, one array: on many threads a large layer
    // must still fit (a 1024→1024 3×3 layer on 64 threads had asked for 63 × 38 MB).
    [Fact]
    public void Backward_chains_keep_their_partial_sums_under_a_gigabyte()
    {
        int saved = ComputeThreads.Count;
        try
        {
            foreach (int threads in new[] { 1, 2, 8, 64 })
            foreach (long bytes in new[] { 100L, 600_000L, 40L << 20, 400L << 20, 3L << 30 })
            foreach (int items in new[] { 1, 5, 16, 64 })
            {
                ComputeThreads.Count = threads;
                int chains = Convolution.Chains(items, bytes);
                string at = $"{threads} threads, {items} items, {bytes} bytes: {chains} chains";
                Assert.InRange(chains, 1, items);
                Assert.True((chains - 1) * bytes <= 1L << 30, at);
                if (bytes <= 600_000L) Assert.True(chains == Math.Min(items, Math.Max(8, threads)), at);
            }
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
    }

    // Seeded training repeats only if the gradients do not depend on which thread summed what: the
    // weight and bias gradients must be bit for bit the same on 1, 2 and 3 threads, run after run.
    [Theory]
    [MemberData(nameof(FmaWidths))]
    public void Gradients_are_the_same_bits_on_any_thread_count(string width)
    {
        Simd.Override = Enum.Parse<SimdWidth>(width);
        var rng = new Random(23);
        foreach (var (g, batch) in new[] { (Conv(12, 14, 32, 3, 1, 1), 24), (Conv(6, 10, 16, 5, 1, 0), 13), (Conv(3, 33, 8, 3, 1, 1), 5), (Conv(16, 7, 12, 1, 1, 0), 9) })
        {
            float[] x = ToFloat(RandomArray(rng, batch * g.InChannels * g.InSpatial)), w = ToFloat(RandomArray(rng, g.OutChannels * g.FilterSize));
            float[] dy = ToFloat(RandomArray(rng, batch * g.OutChannels * g.OutSpatial));
            float[]? first = null;
            foreach (int threads in new[] { 1, 2, 3, 2, 3 })
            {
                ComputeThreads.Count = threads;
                float[] dx = new float[x.Length], dw = new float[w.Length], db = new float[g.OutChannels];
                Convolution.Backward<float>(x, w, dy, dx, dw, db, batch, g, Algorithms.Backward(g));
                float[] all = [.. dx, .. dw, .. db];
                first ??= all;
                Assert.True(first.AsSpan().SequenceEqual(all), $"{width} {threads} threads, batch {batch}: {g}");
                // the input gradient alone (no sums across items: a chain per item) is the same too
                var dxOnly = new float[x.Length];
                Convolution.Backward<float>(x, w, dy, dxOnly, Span<float>.Empty, Span<float>.Empty, batch, g, Algorithms.Backward(g));
                Assert.True(dx.AsSpan().SequenceEqual(dxOnly), $"input gradient alone, {width} {threads} threads, batch {batch}: {g}");
            }
        }
    }

    // Where one example (or fewer than the threads) is split into bands: the FMA paths on two and three threads.
    public static IEnumerable<object[]> SplitSettings() =>
        Settings().Where(s => (string)s[0] != nameof(SimdWidth.Portable) && (int)s[1] > 1);

    // One example split into bands of output positions, each item padding its own rows: every way the
    // bands are planned, on layers as small as reach each plan (the reference runs in double).
    [Theory]
    [MemberData(nameof(SplitSettings))]
    public void One_example_split_into_bands_matches_the_reference(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(61 + (int)Enum.Parse<SimdWidth>(width) * 10 + threads);
        var layers = new[]
        {
            Conv(8, 23, 40, 3, 1, 1),   // 529 outputs: bands of whole strips, the last one 17 columns
            Conv(64, 6, 128, 3, 1, 1),  // 36 outputs and large filters: one band, filter blocks, wide columns copied out
            Conv(64, 5, 128, 3, 1, 1),  // the same with the outputs' columns packed alone
            Conv(12, 18, 64, 3, 1, 1) with { Groups = 2 },
            Conv(64, 63, 6, 1, 1, 1),   // a padded input past L2 (64×65×65): padded once for all bands
            Conv(12, 19, 48, 5, 2, 2),  // stride 2: a band's rows of the phase planes
            // 3-D: bands run across depth slices over an input padded once
            new ConvGeometry(4, 4, 10, 10, 16, 4, 10, 10, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, PaddingMode.Zeros),
            // B read in place: rows of 48 (a one-vector tail paired with the next row's, and 45 rows,
            // so a band ends on an unpaired one), stride 2 into rows of 32, two groups, and one band
            // of filter blocks over 2 rows of 32
            new ConvGeometry(4, 1, 45, 48, 16, 1, 45, 48, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, PaddingMode.Zeros),
            Conv(8, 64, 16, 3, 2, 1),
            Conv(8, 32, 32, 3, 1, 1) with { Groups = 2 },
            new ConvGeometry(64, 1, 2, 32, 128, 1, 2, 32, 1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, PaddingMode.Zeros),
        };
        // two examples on three threads are split one after the other, as one is on two
        int batch = threads - 1;
        for (int i = 0; i < layers.Length; i++)
        {
            var epilogue = i % 2 == 0 ? Epilogue.Relu : Epilogue.None;
            CheckConvolution(rng, layers[i], batch, epilogue, $"{width} t{threads} batch {batch} {epilogue} {layers[i]}");
        }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Tiny_convolutions_run_direct_and_match_the_reference(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(41 + (int)Enum.Parse<SimdWidth>(width) * 10 + threads);
        var layers = new[]
        {
            Conv(1, 28, 6, 5, 1, 2),    // LeNet conv1: 25 taps, 6 filters (one 6-row tile), rows of 28
            Conv(1, 28, 32, 3, 1, 1),   // FashionNet conv1: 9 taps, 32 filters (five tiles and two rows)
            Conv(3, 32, 7, 3, 1, 1),    // 27 taps, 7 filters, rows of exactly two 512-bit vectors
            Conv(2, 5, 13, 4, 1, 0),    // 32 taps, rows of 2, a prime filter count
            Conv(1, 45, 3, 1, 1, 2),    // a 1×1 kernel with padding, rows of 49
            Conv(3, 31, 8, 3, 2, 1),    // stride 2: the taps read four phase planes
            Conv(1, 29, 6, 5, 2, 2),    // LeNet's kernel at stride 2, odd size
            Conv(3, 40, 16, 3, 1, 1),   // big enough that one example's rows are shared out over threads
            Conv(3, 48, 20, 3, 2, 1),   // the same at stride 2
        };
        foreach (var g in layers)
        {
            // the plan's choice, which this machine runs as chosen where it has the FMA kernels
            Assert.Equal(ConvolutionAlgorithm.Direct, Algorithms.Forward(g));
            Assert.Equal(Simd.Current != SimdWidth.Portable ? ConvolutionAlgorithm.Direct : ConvolutionAlgorithm.Im2ColGemm, ConvolutionAlgorithms.Runnable<float>(ConvolutionAlgorithm.Direct, g, backward: false));
            foreach (int batch in new[] { 1, threads, 5 })
                foreach (var epilogue in new[] { Epilogue.Relu, Epilogue.None })
                    CheckConvolution(rng, g, batch, epilogue, $"{width} t{threads} batch {batch} {epilogue} {g}");
        }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Dense_matches_reference_with_and_without_fused_relu(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(300 + (int)Enum.Parse<SimdWidth>(width) * 10 + threads);
        for (int round = 0; round < 16; round++)
        {
            int batch = Pick(rng), inputs = Pick(rng) * (round % 3 == 0 ? 13 : 1), units = Pick(rng);
            var epilogue = round % 2 == 0 ? Epilogue.Relu : Epilogue.None;
            double[] x = RandomArray(rng, batch * inputs), w = RandomArray(rng, units * inputs), b = RandomArray(rng, units), dy = RandomArray(rng, batch * units);
            var y = new double[batch * units];
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < units; o++)
                {
                    double s = b[o];
                    for (int i = 0; i < inputs; i++) s += x[n * inputs + i] * w[o * inputs + i];
                    y[n * units + o] = epilogue == Epilogue.Relu ? Math.Max(0, s) : s;
                }
            double[] g = Masked(dy, y, epilogue);
            var dx = new double[x.Length]; var dw = new double[w.Length]; var db = new double[b.Length];
            for (int n = 0; n < batch; n++)
                for (int o = 0; o < units; o++)
                {
                    db[o] += g[n * units + o];
                    for (int i = 0; i < inputs; i++)
                    {
                        dx[n * inputs + i] += g[n * units + o] * w[o * inputs + i];
                        dw[o * inputs + i] += g[n * units + o] * x[n * inputs + i];
                    }
                }
            float[] yf = new float[y.Length], dxf = new float[x.Length], dwf = new float[w.Length], dbf = new float[b.Length];
            float[] xf = ToFloat(x), wf = ToFloat(w);
            CnnDsl.Runtime.Kernels.Dense.Forward<float>(xf, wf, ToFloat(b), yf, batch, inputs, units, epilogue);
            CnnDsl.Runtime.Kernels.Dense.Backward<float>(xf, wf, ToFloat(dy), dxf, dwf, dbf, batch, inputs, units, epilogue, yf);
            string at = $"{width} t{threads} batch {batch} in {inputs} units {units} {epilogue}";
            AssertClose(ToFloat(y), yf, 1e-4, "y " + at);
            AssertClose(ToFloat(dx), dxf, 1e-4, "dx " + at);
            AssertClose(ToFloat(dw), dwf, 1e-4, "dw " + at);
            AssertClose(ToFloat(db), dbf, 1e-4, "db " + at);
        }
    }

    [Theory]
    [MemberData(nameof(Settings))]
    public void Max_pooling_2x2_keeps_first_of_ties_and_nan_on_odd_widths(string width, int threads)
    {
        Use(width, threads);
        var rng = new Random(17);
        float[] values = { -1f, 0f, 1f, float.NaN, float.NegativeInfinity, 2f };
        foreach (int w in new[] { 2, 3, 8, 9, 11, 28, 34, 64, 67 })
            foreach (int h in new[] { 2, 5 })
            {
                int channels = 3, batch = 2, oh = h / 2, ow = w / 2;
                var g = new PoolGeometry(channels, 1, h, w, 1, oh, ow, 1, 2, 2, 1, 2, 2, 0, 0, 0);
                var x = new float[batch * channels * h * w];
                for (int i = 0; i < x.Length; i++) x[i] = values[rng.Next(values.Length)];
                var y = new float[batch * channels * oh * ow];
                var argmax = new int[y.Length];
                Pooling.MaxForward<float>(x, y, argmax, batch, g);
                for (int plane = 0; plane < batch * channels; plane++)
                    for (int zh = 0; zh < oh; zh++)
                        for (int zw = 0; zw < ow; zw++)
                        {
                            // PyTorch's scan: row-major, a greater value or a NaN replaces the best so far
                            int bestIndex = -1;
                            float best = float.NegativeInfinity;
                            foreach (var (dh, dw) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
                            {
                                int index = (zh * 2 + dh) * w + zw * 2 + dw;
                                float v = x[plane * h * w + index];
                                if (v > best || float.IsNaN(v)) { best = v; bestIndex = index; }
                            }
                            if (bestIndex < 0) bestIndex = zh * 2 * w + zw * 2;
                            int o = (plane * oh + zh) * ow + zw;
                            Assert.True(argmax[o] == bestIndex && (y[o].Equals(best)), $"{width} t{threads} {h}x{w} plane {plane} ({zh},{zw}): got {y[o]} at {argmax[o]}, expected {best} at {bestIndex}");
                        }
            }
    }

    [Fact]
    public void Max_pooling_1x2x2_over_depth_pools_every_slice()
    {
        // the float 2×2 fast path once pooled only the first depth slice of each plane
        var rng = new Random(23);
        var g = new PoolGeometry(2, 3, 4, 6, 3, 2, 3, 1, 2, 2, 1, 2, 2, 0, 0, 0);
        int batch = 2;
        double[] x = DistinctArray(rng, batch * g.Channels * g.InSpatial);
        var expected = new double[batch * g.Channels * g.OutSpatial];
        var expectedArgmax = new int[expected.Length];
        Pooling.MaxForward<double>(x, expected, expectedArgmax, batch, g);
        var y = new float[expected.Length];
        var argmax = new int[expected.Length];
        Pooling.MaxForward<float>(ToFloat(x), y, argmax, batch, g);
        Assert.Equal(expectedArgmax, argmax);
        AssertClose(ToFloat(expected), y, 0, "pooled");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Batchnorm_split_over_channels_matches_one_thread_in_double(int threads)
    {
        // large enough to be split over the pool; a spatial size that is not a multiple of a vector
        const int Batch = 9, Channels = 7, Spatial = 701;
        var rng = new Random(23);
        double[] x = RandomArray(rng, Batch * Channels * Spatial, -3, 5), dy = RandomArray(rng, x.Length);
        double[] gamma = RandomArray(rng, Channels, 0.5, 1.5), beta = RandomArray(rng, Channels);
        ComputeThreads.Count = 1;
        var reference = RunBatchnorm(x, dy, gamma, beta);
        ComputeThreads.Count = threads;
        var fast = RunBatchnorm(ToFloat(x), ToFloat(dy), ToFloat(gamma), ToFloat(beta));
        for (int i = 0; i < reference.Length; i++)
            AssertClose(ToFloat(reference[i]), fast[i], 1e-4, $"t{threads} output {i}");

        static T[][] RunBatchnorm<T>(T[] x, T[] dy, T[] gamma, T[] beta) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
        {
            var y = new T[x.Length]; var inference = new T[x.Length]; var dx = new T[x.Length];
            var runningMean = new T[Channels]; var runningVar = new T[Channels]; var savedMean = new T[Channels]; var savedInvStd = new T[Channels];
            var dgamma = new T[Channels]; var dbeta = new T[Channels];
            Array.Fill(runningVar, T.One);
            T eps = T.CreateChecked(1e-5), momentum = T.CreateChecked(0.1);
            CnnDsl.Runtime.Kernels.BatchNorm.ForwardTraining<T>(x, y, gamma, beta, runningMean, runningVar, savedMean, savedInvStd, Batch, Channels, Spatial, eps, momentum);
            CnnDsl.Runtime.Kernels.BatchNorm.Backward<T>(x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, Batch, Channels, Spatial);
            CnnDsl.Runtime.Kernels.BatchNorm.ForwardInference<T>(x, inference, gamma, beta, runningMean, runningVar, Batch, Channels, Spatial, eps);
            return new[] { y, inference, dx, runningMean, runningVar, dgamma, dbeta };
        }
    }

    [Fact]
    public void Batchnorm_allocates_nothing_after_warm_up()
    {
        ComputeThreads.Count = 2;
        const int Batch = 4, Channels = 8, Spatial = 1100;
        float[] x = new float[Batch * Channels * Spatial], y = new float[x.Length], dx = new float[x.Length];
        float[] gamma = new float[Channels], beta = new float[Channels], mean = new float[Channels], variance = new float[Channels];
        float[] savedMean = new float[Channels], savedInvStd = new float[Channels], dgamma = new float[Channels], dbeta = new float[Channels];
        void Step()
        {
            CnnDsl.Runtime.Kernels.BatchNorm.ForwardTraining<float>(x, y, gamma, beta, mean, variance, savedMean, savedInvStd, Batch, Channels, Spatial, 1e-5f, 0.1f);
            CnnDsl.Runtime.Kernels.BatchNorm.Backward<float>(x, y, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, Batch, Channels, Spatial);
            CnnDsl.Runtime.Kernels.BatchNorm.ForwardInference<float>(x, y, gamma, beta, mean, variance, Batch, Channels, Spatial, 1e-5f);
        }
        Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public unsafe void A_thread_that_ran_any_kernel_job_has_its_gemm_panel()
    {
        // which items a thread draws changes from step to step: a thread whose first steps drew no
        // GEMM item must not allocate its panel in a later step (a flaky 256 KB in CI)
        long allocated = -1;
        var thread = new System.Threading.Thread(() =>
        {
            var g = new PoolGeometry(2, 1, 4, 4, 1, 2, 2, 1, 2, 2, 1, 2, 2, 0, 0, 0);
            Pooling.MaxForward<float>(new float[32], new float[8], new int[8], 1, g);
            float[] a = new float[8 * 16], b = new float[16 * 64], c = new float[8 * 64];
            fixed (float* pa = a, pb = b, pc = c)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                SimdGemm.Broadcast<Simd256>(8, 64, 16, pa, 16, 1, pb, 64, pc, 64);
                allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            }
        });
        thread.Start();
        thread.Join();
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Kernels_called_from_several_threads_at_once_stay_exact()
    {
        // one thread holds the worker pool, the others run inline as their own worker 0: none may
        // share another's scratch
        ComputeThreads.Count = 2;
        var g = Conv(6, 14, 16, 5, 1, 0);
        const int Batch = 3;
        var rng = new Random(5);
        var inputs = new float[4][];
        var expected = new float[4][];
        float[] w = ToFloat(RandomArray(rng, g.OutChannels * g.FilterSize)), b = ToFloat(RandomArray(rng, g.OutChannels));
        for (int t = 0; t < 4; t++)
        {
            inputs[t] = ToFloat(RandomArray(rng, Batch * g.InChannels * g.InSpatial));
            expected[t] = new float[Batch * g.OutChannels * g.OutSpatial];
            Convolution.Forward<float>(inputs[t], w, b, expected[t], Batch, g, Algorithms.Forward(g), Epilogue.Relu);
        }
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = new System.Threading.Thread[4];
        for (int t = 0; t < 4; t++)
        {
            int id = t;
            threads[t] = new System.Threading.Thread(() =>
            {
                var y = new float[expected[id].Length];
                for (int round = 0; round < 200; round++)
                {
                    Convolution.Forward<float>(inputs[id], w, b, y, Batch, g, Algorithms.Forward(g), Epilogue.Relu);
                    if (!y.AsSpan().SequenceEqual(expected[id])) { failures.Add($"thread {id} round {round}"); return; }
                }
            });
            threads[t].Start();
        }
        foreach (var thread in threads) thread.Join();
        Assert.Empty(failures);
    }

    private static void CheckConvolution(Random rng, ConvGeometry g, int batch, Epilogue epilogue, string at)
    {
        double[] x = RandomArray(rng, batch * g.InChannels * g.InSpatial), w = RandomArray(rng, g.OutChannels * g.FilterSize);
        double[] b = RandomArray(rng, g.OutChannels), dy = RandomArray(rng, batch * g.OutChannels * g.OutSpatial);
        var y = new double[dy.Length];
        ConvolutionReference.Forward<double>(x, w, b, y, batch, g);
        if (epilogue == Epilogue.Relu) for (int i = 0; i < y.Length; i++) y[i] = Math.Max(0, y[i]);
        double[] dx0 = RandomArray(rng, x.Length), dw0 = RandomArray(rng, w.Length), db0 = RandomArray(rng, b.Length);

        float[] xf = ToFloat(x), wf = ToFloat(w), guarded = new float[y.Length + 64];
        guarded.AsSpan().Fill(float.NaN); // forward overwrites every element
        guarded.AsSpan(y.Length).Fill(12345f); // and nothing past the last one
        Convolution.Forward<float>(xf, wf, ToFloat(b), guarded.AsSpan(0, y.Length), batch, g, Algorithms.Forward(g), epilogue);
        Assert.True(guarded.AsSpan(y.Length).IndexOfAnyExcept(12345f) < 0, "forward wrote past its output: " + at);
        float[] yf = guarded[..y.Length];
        // the relu mask the kernel applies is the float output's: a pre-activation within rounding of
        // zero can fall on the other side of it in double, which would move a whole tap footprint of dx
        double[] dx = (double[])dx0.Clone(), dw = (double[])dw0.Clone(), db = (double[])db0.Clone();
        ConvolutionReference.Backward<double>(x, w, Masked(dy, Array.ConvertAll(yf, v => (double)v), epilogue), dx, dw, db, batch, g);
        float[] dxf = ToFloat(dx0), dwf = ToFloat(dw0), dbf = ToFloat(db0);
        Convolution.Backward<float>(xf, wf, ToFloat(dy), dxf, dwf, dbf, batch, g, Algorithms.Backward(g), epilogue, yf);
        // float sums over up to a few thousand terms of size ~1
        double tol = 2e-5 * Math.Sqrt(g.FilterSize * batch);
        AssertClose(ToFloat(y), yf, tol, "y " + at);
        AssertClose(ToFloat(dx), dxf, tol, "dx " + at);
        AssertClose(ToFloat(dw), dwf, tol, "dw " + at);
        AssertClose(ToFloat(db), dbf, tol, "db " + at);
    }

    private static double[] Masked(double[] dy, double[] y, Epilogue epilogue)
    {
        if (epilogue == Epilogue.None) return dy;
        var g = new double[dy.Length];
        for (int i = 0; i < dy.Length; i++) g[i] = y[i] > 0 ? dy[i] : 0;
        return g;
    }

    private static int Pick(Random rng) => s_awkward[rng.Next(s_awkward.Length)];

    private static int Out(int input, int kernel, int dilation, int pad)
    {
        // stride 1 with padding `pad` on both sides
        return input + 2 * pad - dilation * (kernel - 1);
    }

    private static ConvGeometry Conv(int channels, int size, int filters, int kernel, int stride, int pad)
    {
        int o = (size + 2 * pad - kernel) / stride + 1;
        return new ConvGeometry(channels, 1, size, size, filters, 1, o, o, 1, kernel, kernel, 1, stride, stride, 1, 1, 1, 0, pad, pad, 1, PaddingMode.Zeros);
    }
}
