namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// What a conv or dense kernel applies to its result while it is still in cache: the generator fuses
/// a following activation into the layer so the pre-activation tensor is never written or re-read.
/// Backward then takes the activation's output and gradient and applies the derivative itself.
/// </summary>
public enum Epilogue
{
    None,
    Relu,
}
