using SecureInstall.Core.Checksums;

namespace SecureInstall.Core.Tests;

/// <summary>Issue 19: exception → ErrorId and kind is mapped once, for the cmdlets' records and the CLI's exit codes.</summary>
public sealed class ErrorIdsTests
{
    [Fact]
    public void Classify_TakesACoreExceptionsOwnIdAndKind()
    {
        (string id, FailureKind? kind) = ErrorIds.Classify(new InvalidDigestException("xyz", "not hex"));

        Assert.Equal(ErrorIds.InvalidHash, id);
        Assert.Equal(FailureKind.InvalidArgument, kind);
    }

    [Fact]
    public void Classify_MapsFileSystemFailures_SpecificTypesBeforeIOException()
    {
        Assert.Equal((ErrorIds.PathNotFound, FailureKind.NotFound), ErrorIds.Classify(new FileNotFoundException("x")));
        Assert.Equal((ErrorIds.PathNotFound, FailureKind.NotFound), ErrorIds.Classify(new DirectoryNotFoundException("x")));
        Assert.Equal((ErrorIds.PermissionDenied, FailureKind.PermissionDenied), ErrorIds.Classify(new UnauthorizedAccessException("x")));
        Assert.Equal((ErrorIds.FileReadFailed, FailureKind.ReadError), ErrorIds.Classify(new IOException("x")));
    }

    [Fact]
    public void Classify_NamesAnUnclassifiedExceptionByItsType_WithNoKind()
    {
        Assert.Equal(("ArgumentException", (FailureKind?)null), ErrorIds.Classify(new ArgumentException("x")));
    }
}
