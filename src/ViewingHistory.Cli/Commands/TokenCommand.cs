using System.CommandLine;
using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ViewingHistory.Cli.Commands;

/// <summary><c>vh token --member ID</c>: mints an HS256 member token (for the viewing-activity page or curl).</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var member = new Option<string>("--member") { Description = "The memberId (the token's sub).", Required = true };
        var secret = new Option<string?>("--secret") { Description = "The member token secret; default: VH_MEMBER_TOKEN_SECRET, else memberTokenSecret in <data-dir>/credentials.json." };
        var dataDir = new Option<string>("--data-dir") { Description = "The server's data directory.", DefaultValueFactory = _ => "data" };
        var ttl = new Option<TimeSpan>("--ttl") { Description = "Lifetime of the token.", DefaultValueFactory = _ => TimeSpan.FromHours(12) };

        var command = new Command("token", "Mint a member token.") { member, secret, dataDir, ttl };
        command.SetAction(parse =>
        {
            var key = parse.GetValue(secret) ?? Environment.GetEnvironmentVariable("VH_MEMBER_TOKEN_SECRET") ?? CredentialsFile.Read(parse.GetValue(dataDir)!).MemberTokenSecret;
            if (string.IsNullOrEmpty(key))
            {
                Console.Error.WriteLine("No member token secret: pass --secret, set VH_MEMBER_TOKEN_SECRET, or point --data-dir at the server's data directory.");
                return 2;
            }

            Console.WriteLine(Mint(parse.GetValue(member)!, key, parse.GetValue(ttl)));
            return 0;
        });
        return command;
    }

    public static string Mint(string memberId, string secret, TimeSpan ttl) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Subject = new ClaimsIdentity([new Claim("sub", memberId)]),
        Expires = DateTime.UtcNow + ttl,
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
    });
}
