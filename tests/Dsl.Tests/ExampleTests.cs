using CnnDsl.Dsl.Diagnostics;
using CnnDsl.Dsl.Model;

namespace CnnDsl.Dsl.Tests;

public class ExampleTests
{
    public static TheoryData<string> Examples => new() { "lenet5.cnn", "vgg16.cnn", "resnet18.cnn", "inception.cnn", "signal1d.cnn", "volume3d.cnn" };

    [Theory]
    [MemberData(nameof(Examples))]
    public void Example_compiles_without_errors_or_warnings(string file)
    {
        var result = T.CompileExample(file);
        Assert.Empty(result.Problems().Where(d => d.Id != "CNN3004").Select(d => d.Format(file)));
        Assert.Single(result.Models());
        Assert.Single(result.Diagnostics, d => d.Id == "CNN4002");
    }

    [Fact]
    public void Every_example_file_is_covered()
    {
        var files = Directory.GetFiles(Path.GetDirectoryName(T.ExamplePath("x"))!, "*.cnn").Select(f => Path.GetFileName(f)).OrderBy(f => f).ToList();
        var known = new[] { "lenet5.cnn", "vgg16.cnn", "resnet18.cnn", "inception.cnn", "signal1d.cnn", "volume3d.cnn" }.OrderBy(f => f).ToList();
        Assert.Equal(known, files);
    }

    [Fact]
    public void LeNet5_matches_the_lecture_figures()
    {
        var n = T.CompileExample("lenet5.cnn").Models().Single();
        // conv1 6·(5·5·1+1) = 156, conv2 16·(5·5·6+1) = 2,416, dense 120·(16·5·5+1) = 48,120,
        // dense 84·(120+1) = 10,164, dense 10·(84+1) = 850  → 61,706
        Assert.Equal(156 + 2416 + 48120 + 10164 + 850, n.ParameterCount);
        Assert.Equal(61_706, n.ParameterCount);
        // MACs: 150·28·28 = 117,600 + 2,400·10·10 = 240,000 + 48,000 + 10,080 + 840 = 416,520
        Assert.Equal(117_600 + 240_000 + 48_000 + 10_080 + 840, n.Macs);
        Assert.Equal(416_520, n.Macs);
        Assert.Equal(TensorShape.Of(10), n.OutputShape);
        Assert.Equal(TensorShape.Of(1, 28, 28), n.InputShape);
        Assert.Equal(new[] { "conv1", "relu1", "maxpool1", "conv2", "relu2", "maxpool2", "flatten1", "dense1", "relu3", "dense2", "relu4", "dense3" },
            n.Layers.Select(l => l.Name));
        Assert.Equal(TensorShape.Of(16, 5, 5), n.Layers[5].OutputShape);
    }

    [Fact]
    public void Vgg16_has_138_357_544_parameters()
    {
        var result = T.CompileExample("vgg16.cnn");
        var n = result.Models().Single();
        Assert.Equal(138_357_544, n.ParameterCount);
        Assert.Equal(TensorShape.Of(1000), n.OutputShape);
        // 15.47 G MACs (torchvision, fvcore): 15,470,264,320 weight multiply-adds
        Assert.Equal(15_470_264_320, n.Macs);
        // dense 4096 on 512·7·7 = 25,088 features: 4096·25,089 = 102,764,544 and 4096·4097 = 16,781,312
        // are over 10M (CNN3004); dense 1000: 1000·4097 = 4,097,000 is not
        var huge = result.Diagnostics.Where(d => d.Id == "CNN3004").ToList();
        Assert.Equal(2, huge.Count);
        Assert.Contains("102,764,544", huge[0].Message);
        Assert.Contains("16,781,312", huge[1].Message);
        Assert.Equal((9, 10), (huge[0].Span.StartLine, huge[1].Span.StartLine));
    }

    [Fact]
    public void ResNet18_matches_torchvision()
    {
        var n = T.CompileExample("resnet18.cnn").Models().Single();
        Assert.Equal(11_689_512, n.ParameterCount);
        Assert.Equal(1_814_073_344, n.Macs);
        Assert.Equal(TensorShape.Of(1000), n.OutputShape);
        Assert.Equal(TensorShape.Of(512, 7, 7), n.Layers.Last(l => l is MergeLayer { Operation: MergeOperation.Add }).OutputShape);
    }

    [Fact]
    public void Inception_3a_3b_by_hand()
    {
        var n = T.CompileExample("inception.cnn").Models().Single();
        // 3a on 192 channels: 1x1 64: 64·(192+1); 1x1 96: 96·193, 3x3 128: 128·(9·96+1);
        //   1x1 16: 16·193, 5x5 32: 32·(25·16+1); pool proj 32: 32·193  = 163,696; out 64+128+32+32 = 256x28x28
        long a = 64 * 193 + 96 * 193 + 128 * (9 * 96 + 1) + 16 * 193 + 32 * (25 * 16 + 1) + 32 * 193;
        Assert.Equal(163_696, a);
        // 3b on 256: 128·257 + 128·257 + 192·(9·128+1) + 32·257 + 96·(25·32+1) + 64·257 = 388,736; out 128+192+96+64 = 480
        long b = 128 * 257 + 128 * 257 + 192 * (9 * 128 + 1) + 32 * 257 + 96 * (25 * 32 + 1) + 64 * 257;
        Assert.Equal(388_736, b);
        // maxpool 3 s2 p1: floor((28+2−3)/2)+1 = 14 → 480x14x14; globalavgpool → 480; dense 10: 10·481 = 4,810
        Assert.Equal(a + b + 4_810, n.ParameterCount);
        var concats = n.Layers.Where(l => l is MergeLayer { Operation: MergeOperation.Concat }).ToList();
        Assert.Equal(2, concats.Count);
        Assert.Equal(TensorShape.Of(256, 28, 28), concats[0].OutputShape);
        Assert.Equal(TensorShape.Of(480, 28, 28), concats[1].OutputShape);
        Assert.Equal(TensorShape.Of(480, 14, 14), n.Layers.Single(l => l.Name == "maxpool1").OutputShape);
        Assert.Equal(TensorShape.Of(10), n.OutputShape);
        // MACs: 28·28 = 784 positions; 3a: 192·64 + 192·96 + 9·96·128 + 192·16 + 25·16·32 + 192·32 per position
        long macs3a = 784L * (192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32);
        long macs3b = 784L * (256 * 128 + 256 * 128 + 9 * 128 * 192 + 256 * 32 + 25 * 32 * 96 + 256 * 64);
        Assert.Equal(macs3a + macs3b + 4_800, n.Macs);
        // the label names the first module's layers; the second is numbered
        Assert.Contains(n.Layers, l => l.Name == "inception3a.conv1");
        Assert.Contains(n.Layers, l => l.Name == "inception2.conv1");
        Assert.Equal(new[] { "maxpool1", "globalavgpool1", "dropout1", "dense1" }, n.Layers.Skip(n.Layers.Count - 4).Select(l => l.Name));
    }

    [Fact]
    public void Signal1d_by_hand()
    {
        var n = T.CompileExample("signal1d.cnn").Models().Single();
        // conv 7x16 s2 p3 nobias on 1x1000: floor((1000+6−7)/2)+1 = 500; 16·7·1 = 112
        // bn 2·16 = 32; maxpool 2 → 250; conv 5x32 p2 nobias: 32·5·16 = 2,560 → 32x250; bn 64; maxpool → 125
        // conv 3x64 p1: 64·(3·32+1) = 6,208 → 64x125; globalavgpool → 64; dense 5: 5·65 = 325
        Assert.Equal(112 + 32 + 2560 + 64 + 6208 + 325, n.ParameterCount);
        Assert.Equal(9_301, n.ParameterCount);
        Assert.Equal(TensorShape.Of(16, 500), n.Layers[0].OutputShape);
        Assert.Equal(TensorShape.Of(64, 125), n.Layers.Single(l => l.Name == "conv3").OutputShape);
        Assert.Equal(TensorShape.Of(5), n.OutputShape);
        // MACs: 112·500 + 2560·250 + 64·96·125 + 320
        Assert.Equal(112L * 500 + 2560L * 250 + 64L * 96 * 125 + 320, n.Macs);
    }

    [Fact]
    public void Volume3d_by_hand()
    {
        var n = T.CompileExample("volume3d.cnn").Models().Single();
        // conv 3x3x3x16 p1 on 1x16x64x64: 16·(27·1+1) = 448 → 16x16x64x64; maxpool 2 → 16x8x32x32
        // conv 3x3x3x32 p1: 32·(27·16+1) = 13,856 → 32x8x32x32; maxpool → 32x4x16x16
        // conv 3x3x3x64 p1: 64·(27·32+1) = 55,360 → 64x4x16x16; gap → 64; dense 3: 3·65 = 195
        Assert.Equal(448 + 13856 + 55360 + 195, n.ParameterCount);
        Assert.Equal(69_859, n.ParameterCount);
        Assert.Equal(TensorShape.Of(16, 16, 64, 64), n.Layers[0].OutputShape);
        Assert.Equal(TensorShape.Of(32, 4, 16, 16), n.Layers.Single(l => l.Name == "maxpool2").OutputShape);
        Assert.Equal(TensorShape.Of(64, 4, 16, 16), n.Layers.Single(l => l.Name == "conv3").OutputShape);
        Assert.Equal(TensorShape.Of(3), n.OutputShape);
        Assert.Equal(27L * 16 * 65536 + 27L * 16 * 32 * 8192 + 27L * 32 * 64 * 1024 + 192, n.Macs);
    }

    [Fact]
    public void Seed_check_dense_1000_on_a_flattened_3x200x200_image()
    {
        var result = T.Compile("network Seed\ninput 3x200x200\nflatten\ndense 1000\n");
        var n = Assert.Single(result.Models());
        // 1000·(3·200·200 + 1) = 1000·120,001
        Assert.Equal(1000L * (3 * 200 * 200 + 1), n.ParameterCount);
        Assert.Equal(120_001_000, n.ParameterCount);
        var w = T.Single(result, "CNN3004");
        Assert.Equal(CnnSeverity.Warning, w.Severity);
        T.Span(w, 3, 0, 3, 10);
        Assert.Contains("120,001,000", w.Message);
        Assert.Contains("1000·(120000+1)", w.Message);
    }
}
