namespace CnnDsl.Runtime.Tests.Training;

/// <summary>A hand-written <see cref="IModel"/>: softmax regression (one dense layer) with cross-entropy,
/// enough to exercise the trainer, evaluator and checkpoints without generated code.</summary>
internal sealed class SoftmaxRegression : IModel
{
    private readonly float[] _values, _grads, _output, _inputGradient;
    private readonly int _in, _out, _maxBatch;

    public SoftmaxRegression(int inputs, int classes, int maxBatch = 256)
    {
        _in = inputs; _out = classes; _maxBatch = maxBatch;
        _values = new float[classes * inputs + classes];
        _grads = new float[_values.Length];
        _output = new float[maxBatch * classes];
        _inputGradient = new float[maxBatch * inputs];
        Parameters = [new Parameter("fc.weight", [classes, inputs], _values, _grads, 0),
                      new Parameter("fc.bias", [classes], _values, _grads, classes * inputs)];
    }

    public string Name => "SoftmaxRegression";
    public IReadOnlyList<int> InputDimensions => [_in];
    public IReadOnlyList<int> OutputDimensions => [_out];
    public int InputSize => _in;
    public int OutputSize => _out;
    public IReadOnlyList<Parameter> Parameters { get; }
    public IReadOnlyList<StateTensor> State => [];
    public ReadOnlySpan<float> InputGradient => _inputGradient;
    public ReadOnlySpan<float> LastOutput => _output.AsSpan(0, _lastBatch * _out);
    private int _lastBatch;
    public int ForwardCalls { get; private set; }

    public void Forward(ReadOnlySpan<float> input, Span<float> output, int batchSize)
    {
        ForwardCalls++;
        var w = Parameters[0].Value; var b = Parameters[1].Value;
        for (int n = 0; n < batchSize; n++)
            for (int k = 0; k < _out; k++)
            {
                float s = b[k];
                for (int i = 0; i < _in; i++) s += w[k * _in + i] * input[n * _in + i];
                output[n * _out + k] = s;
            }
    }

    public void ForwardTraining(ReadOnlySpan<float> input, Span<float> output, int batchSize) => Forward(input, output, batchSize);

    public void Backward(ReadOnlySpan<float> outputGradient) => throw new NotSupportedException();

    public float TrainStep(ReadOnlySpan<float> input, ReadOnlySpan<int> labels, int batchSize, IOptimizer optimizer)
    {
        if (batchSize > _maxBatch) throw new ArgumentOutOfRangeException(nameof(batchSize));
        var logits = _output.AsSpan(0, batchSize * _out);
        Forward(input, logits, batchSize);
        _lastBatch = batchSize;
        Array.Clear(_grads);
        var gw = Parameters[0].Gradient; var gb = Parameters[1].Gradient;
        Span<float> p = stackalloc float[_out];
        float loss = 0;
        for (int n = 0; n < batchSize; n++)
        {
            var row = logits.Slice(n * _out, _out);
            float max = row[0];
            foreach (float v in row) max = Math.Max(max, v);
            float sum = 0;
            for (int k = 0; k < _out; k++) { p[k] = MathF.Exp(row[k] - max); sum += p[k]; }
            loss += -(row[labels[n]] - max - MathF.Log(sum));
            for (int k = 0; k < _out; k++)
            {
                float d = (p[k] / sum - (k == labels[n] ? 1 : 0)) / batchSize;
                gb[k] += d;
                for (int i = 0; i < _in; i++) gw[k * _in + i] += d * input[n * _in + i];
            }
        }
        optimizer.Step(Parameters);
        return loss / batchSize;
    }

    public void Save(string path) => Checkpoint.Save(path, Parameters, State);
    public void Load(string path) => Checkpoint.Load(path, Parameters, State);

    /// <summary>Three Gaussian blobs in 1×2×2 "images": linearly separable up to rare outliers.</summary>
    public static Dataset Blobs(int count, int seed)
    {
        var rng = new Random(seed);
        float[][] centers = [[2, 0, 0, 1], [0, 2, 1, 0], [-1, -1, -2, -2]];
        var images = new float[count * 4];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = n % 3;
            for (int i = 0; i < 4; i++) images[n * 4 + i] = centers[labels[n]][i] + (float)(rng.NextDouble() - 0.5) * 1.2f;
        }
        return new Dataset(images, labels, 1, 2, 2, 3, ["east", "north", "south-west"]);
    }
}
