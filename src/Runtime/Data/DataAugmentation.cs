namespace CnnDsl.Runtime;

/// <summary>
/// Random augmentation applied by <see cref="DataLoader"/> to training batches.
/// </summary>
/// <param name="HorizontalFlip">Mirror each image left-right with probability 1/2.</param>
/// <param name="MaxShift">Shift each image by a random dx, dy in [-MaxShift, MaxShift] pixels; pixels
/// shifted in are black (zero before normalisation, <see cref="Dataset.ZeroPixelValue"/> after) — what
/// torchvision's <c>RandomCrop(size, padding=k)</c> does.</param>
public sealed record DataAugmentation(bool HorizontalFlip = false, int MaxShift = 0)
{
    public static DataAugmentation None { get; } = new();

    public bool IsIdentity => !HorizontalFlip && MaxShift == 0;
}
