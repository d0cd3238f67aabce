using System;
using System.Numerics;

namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Batch normalisation over N×C×S tensors, per channel across the batch and the spatial positions
/// (BatchNorm1d/2d/3d, PyTorch semantics).
/// </summary>
public static class BatchNorm
{
    // x, y: N×C×S (y overwritten); gamma, beta, runningMean, runningVar, savedMean, savedInvStd: C.
    // Normalises with the biased batch variance; the running variance takes the unbiased one
    // (M/(M−1), M = N·S > 1 guaranteed by the caller): running = (1 − momentum)·running + momentum·batch.
    // savedMean/savedInvStd keep the batch statistics for Backward.
    public static void ForwardTraining<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        Span<T> runningMean, Span<T> runningVar, Span<T> savedMean, Span<T> savedInvStd,
        int batch, int channels, int spatial, T eps, T momentum)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = batch * spatial;
        T count = T.CreateChecked(m);
        for (int c = 0; c < channels; c++)
        {
            T sum = T.Zero;
            for (int n = 0; n < batch; n++) sum += Gemm.Sum(x.Slice((n * channels + c) * spatial, spatial));
            T mean = sum / count;
            // two-pass variance: exact enough for float32 where E[x²] − E[x]² is not
            T squares = T.Zero;
            for (int n = 0; n < batch; n++)
            {
                ReadOnlySpan<T> xs = x.Slice((n * channels + c) * spatial, spatial);
                for (int s = 0; s < spatial; s++) { T d = xs[s] - mean; squares += d * d; }
            }
            T variance = squares / count;
            T invStd = T.One / T.Sqrt(variance + eps);
            savedMean[c] = mean;
            savedInvStd[c] = invStd;
            T unbiased = m > 1 ? squares / T.CreateChecked(m - 1) : variance;
            runningMean[c] = (T.One - momentum) * runningMean[c] + momentum * mean;
            runningVar[c] = (T.One - momentum) * runningVar[c] + momentum * unbiased;
            Normalise(x, y, mean, invStd * gamma[c], beta[c], batch, channels, spatial, c);
        }
    }

    // x, y: N×C×S (y overwritten); gamma, beta, runningMean, runningVar: C.
    public static void ForwardInference<T>(ReadOnlySpan<T> x, Span<T> y, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta,
        ReadOnlySpan<T> runningMean, ReadOnlySpan<T> runningVar, int batch, int channels, int spatial, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int c = 0; c < channels; c++)
            Normalise(x, y, runningMean[c], gamma[c] / T.Sqrt(runningVar[c] + eps), beta[c], batch, channels, spatial, c);
    }

    // x, dy, dx: N×C×S; gamma, savedMean, savedInvStd, dgamma, dbeta: C. All gradients accumulate;
    // dx may be empty (skip). With x̂ = (x − mean)·invStd and M = N·S:
    // dx = gamma·invStd · (dy − mean(dy) − x̂·mean(dy·x̂)), dgamma = Σ dy·x̂, dbeta = Σ dy.
    public static void Backward<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, ReadOnlySpan<T> gamma,
        ReadOnlySpan<T> savedMean, ReadOnlySpan<T> savedInvStd, Span<T> dx, Span<T> dgamma, Span<T> dbeta,
        int batch, int channels, int spatial)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T count = T.CreateChecked(batch * spatial);
        for (int c = 0; c < channels; c++)
        {
            T mean = savedMean[c], invStd = savedInvStd[c];
            T sumDy = T.Zero, sumDyXhat = T.Zero;
            for (int n = 0; n < batch; n++)
            {
                int o = (n * channels + c) * spatial;
                for (int s = 0; s < spatial; s++)
                {
                    sumDy += dy[o + s];
                    sumDyXhat += dy[o + s] * (x[o + s] - mean) * invStd;
                }
            }
            dgamma[c] += sumDyXhat;
            dbeta[c] += sumDy;
            if (dx.IsEmpty) continue;
            T k = gamma[c] * invStd, meanDy = sumDy / count, meanDyXhat = sumDyXhat / count;
            for (int n = 0; n < batch; n++)
            {
                int o = (n * channels + c) * spatial;
                for (int s = 0; s < spatial; s++)
                {
                    T xhat = (x[o + s] - mean) * invStd;
                    dx[o + s] += k * (dy[o + s] - meanDy - xhat * meanDyXhat);
                }
            }
        }
    }

    // y = (x − mean)·scale + shift over channel c.
    private static void Normalise<T>(ReadOnlySpan<T> x, Span<T> y, T mean, T scale, T shift, int batch, int channels, int spatial, int c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n < batch; n++)
        {
            int o = (n * channels + c) * spatial;
            for (int s = 0; s < spatial; s++) y[o + s] = (x[o + s] - mean) * scale + shift;
        }
    }
}
