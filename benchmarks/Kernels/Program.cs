using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

// BenchmarkDotNet's command line: --filter '*Convolution*', --job short|dry, --list flat, ...
// Shape names say what they are, so let the tables print them whole.
var config = DefaultConfig.Instance.WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
BenchmarkSwitcher.FromAssembly(typeof(CnnDsl.Benchmarks.Kernels.KernelCalls).Assembly).Run(args, config);
