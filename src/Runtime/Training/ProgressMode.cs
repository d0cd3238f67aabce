namespace CnnDsl.Runtime;

/// <summary>How <see cref="Trainer"/> reports progress.</summary>
public enum ProgressMode
{
    /// <summary><see cref="Live"/> when stdout is an interactive terminal, else <see cref="Plain"/>; also
    /// <see cref="Plain"/> when the <c>CI</c> environment variable is set or a log writer was given.</summary>
    Auto,

    /// <summary>A live Spectre.Console progress display: loss, accuracy, images/s, ETA.</summary>
    Live,

    /// <summary>One line per epoch: epoch, train loss, train accuracy, test accuracy, seconds.</summary>
    Plain,

    /// <summary>Nothing.</summary>
    Silent,
}
