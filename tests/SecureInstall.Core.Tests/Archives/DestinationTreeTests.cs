using SecureInstall.Core.Archives;
using Kind = SecureInstall.Core.Archives.DestinationTree.NodeKind;

namespace SecureInstall.Core.Tests.Archives;

public sealed class DestinationTreeTests
{
    private static string[] P(string path) => path.Split('/');

    [Fact]
    public void ParentsAreImplicitFolders_AndFindIsCaseAndNormalisationInsensitive()
    {
        var tree = new DestinationTree("a.tar");
        tree.Add("x", P("caf\u00e9/Bin/tool"), Kind.File);
        Assert.Equal(Kind.Directory, tree.Find(P("cafe\u0301"))!.Kind);
        Assert.Equal(Kind.File, tree.Find(P("CAFÉ/bin/TOOL"))!.Kind);
    }

    [Fact]
    public void LinkToAFolderInside_ResolvesAndKnowsItIsAFolder()
    {
        var tree = new DestinationTree("a.tar");
        tree.Add("d", P("lib/v1"), Kind.Directory);
        DestinationTree.Node link = tree.Add("l", P("bin/current"), Kind.SymbolicLink, P("../lib/v1"));
        tree.ResolveLinks();
        Assert.True(link.TargetIsDirectory);
    }

    [Fact]
    public void ChainOfLinks_IsFollowedHopByHop()
    {
        var tree = new DestinationTree("a.tar");
        tree.Add("a", P("a"), Kind.SymbolicLink, P("b"));
        tree.Add("b", P("b"), Kind.SymbolicLink, P("c/d"));
        tree.Add("c", P("c/d"), Kind.Directory);
        tree.Add("e", P("e"), Kind.SymbolicLink, new[] { "a", "..", "..", ".." });
        // a -> b -> c/d ; a/../../.. = c/d/../../.. = one above the root
        var ex = Assert.Throws<UnsafeArchiveEntryException>(() => tree.ResolveLinks());
        Assert.Equal(UnsafeEntryRule.LinkEscapesDestination, ex.Rule);
        Assert.Equal("e", ex.EntryName);
    }

    [Fact]
    public void DanglingLinkInside_IsAccepted()
    {
        var tree = new DestinationTree("a.tar");
        tree.Add("l", P("l"), Kind.SymbolicLink, P("not/there"));
        tree.ResolveLinks();
    }
}
