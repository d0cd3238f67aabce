namespace CnnDsl.Runtime.Kernels;

/// <summary>
/// Where output position p of a shifted-view GEMM (<see cref="ShiftedInput"/>) lies among its wide
/// columns: positions run in rows of <see cref="RowLength"/> a <see cref="RowPitch"/> apart, and
/// <see cref="Rows"/> rows make a plane, planes a <see cref="PlanePitch"/> apart. Packing B through
/// this map lets the forward GEMM skip the wide columns no output keeps (2 of every 16 at 14×14).
/// </summary>
internal readonly struct WideColumns
{
    public readonly int RowLength, RowPitch, Rows, PlanePitch;

    public WideColumns(int rowLength, int rowPitch, int rows, int planePitch)
    {
        RowLength = rowLength;
        RowPitch = rowPitch;
        Rows = rows;
        PlanePitch = planePitch;
    }

    /// <summary>The wide column of output position <paramref name="p"/>.</summary>
    public int Of(int p)
    {
        int row = p / RowLength;
        return row / Rows * PlanePitch + row % Rows * RowPitch + p % RowLength;
    }
}
