using System.Text;
using Microsoft.Extensions.Primitives;
using ViewingHistory.Server.Endpoints;

namespace ViewingHistory.Server.Tests.Reads;

/// <summary>The If-None-Match grammar of RFC 9110 (§8.8.3, §13.1.2) as <see cref="EntityTags"/> reads it.</summary>
public sealed class EntityTagsTests
{
    private const string Current = "\"abc\"";

    [Fact]
    public void A_tag_is_the_quoted_base64url_of_the_first_16_bytes_of_the_bodys_sha256()
    {
        // SHA-256 of the empty string starts e3b0c442 98fc1c14 9afbf4c8 996fb924.
        Assert.Equal("\"47DEQpj8HBSa-_TImW-5JA\"", EntityTags.Of([]));
        Assert.Equal(EntityTags.Of(Encoding.UTF8.GetBytes("{}")), EntityTags.Of(Encoding.UTF8.GetBytes("{}")));
        Assert.NotEqual(EntityTags.Of(Encoding.UTF8.GetBytes("{}")), EntityTags.Of(Encoding.UTF8.GetBytes("{ }")));
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("W/\"abc\"")]
    [InlineData("*")]
    [InlineData("\t*\t")]
    [InlineData("\"x\",\"abc\"")]
    [InlineData("\"x\" , W/\"abc\" ,")]
    [InlineData(",,\"abc\"")]
    [InlineData("\"a,b\", \"abc\"")]
    [InlineData("\"\u00e9\", \"abc\"")]
    public void A_list_naming_the_current_tag_by_weak_comparison_holds(string header) =>
        Assert.True(EntityTags.IfNoneMatchHolds(new StringValues(header), Current));

    [Theory]
    [InlineData("")]
    [InlineData(",")]
    [InlineData("\"abd\"")]
    [InlineData("\"ABC\"")]
    [InlineData("abc")]
    [InlineData("w/\"abc\"")]
    [InlineData("\"abc\" junk")]
    [InlineData("\"abc")]
    [InlineData("*, \"abc\"")]
    [InlineData("\"a b\", \"abc\"")]
    [InlineData("\"\u0100\", \"abc\"")]
    public void Anything_else_does_not_hold_and_a_malformed_list_is_ignored_as_a_whole(string header) =>
        Assert.False(EntityTags.IfNoneMatchHolds(new StringValues(header), Current));

    [Fact]
    public void Several_header_lines_form_one_list()
    {
        Assert.True(EntityTags.IfNoneMatchHolds(new StringValues(["\"x\"", "W/\"abc\""]), Current));
        Assert.False(EntityTags.IfNoneMatchHolds(new StringValues(["\"x\"", "\"y\""]), Current));
        Assert.False(EntityTags.IfNoneMatchHolds(StringValues.Empty, Current));
    }
}
