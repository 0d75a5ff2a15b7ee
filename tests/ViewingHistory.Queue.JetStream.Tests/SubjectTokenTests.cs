using ViewingHistory.Queue.JetStream;

namespace ViewingHistory.Queue.JetStream.Tests;

/// <summary>Issue 12 item 4: member ids as NATS subject tokens, one token each, reversibly.</summary>
public sealed class SubjectTokenTests
{
    [Theory]
    [InlineData("x.", "x%2E")]
    [InlineData(".y", "%2Ey")]
    [InlineData("a..b", "a%2E%2Eb")]
    [InlineData(".", "%2E")]
    [InlineData("a%b", "a%25b")]
    [InlineData("a*b>c d", "a%2Ab%3Ec%20d")]
    [InlineData("é", "%C3%A9")]
    public void Ids_that_are_no_valid_token_are_percent_encoded(string id, string token)
    {
        Assert.Equal(token, SubjectToken.Encode(id));
        Assert.Equal(id, SubjectToken.Decode(token));
        Assert.Equal(id, Uri.UnescapeDataString(token));
    }

    [Theory]
    [InlineData("member-1")]
    [InlineData("a:b")]
    [InlineData("-")]
    [InlineData("A_z:0-9")]
    public void Ordinary_ids_stay_as_they_are(string id)
    {
        Assert.Same(id, SubjectToken.Encode(id));
        Assert.Equal(id, SubjectToken.Decode(id));
    }

    [Fact]
    public void Every_id_of_the_alphabet_makes_one_non_empty_token_that_decodes_back()
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
        var random = new Random(12);
        for (var n = 0; n < 5_000; n++)
        {
            var id = new string([.. Enumerable.Range(0, random.Next(1, 65)).Select(_ => random.Next(8) == 0 ? '.' : alphabet[random.Next(alphabet.Length)])]);
            var token = SubjectToken.Encode(id);
            Assert.NotEmpty(token);
            Assert.True(token.IndexOfAny(['.', '*', '>', ' ']) < 0, $"'{id}' makes the token '{token}'");
            Assert.Equal(id, SubjectToken.Decode(token));
        }
    }

    [Theory]
    [InlineData("%")]
    [InlineData("a%2")]
    [InlineData("%G1")]
    public void A_malformed_token_is_refused(string token) => Assert.Throws<FormatException>(() => SubjectToken.Decode(token));
}
