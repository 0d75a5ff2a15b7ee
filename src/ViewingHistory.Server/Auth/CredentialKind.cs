namespace ViewingHistory.Server.Auth;

public enum CredentialKind
{
    None,
    Ingest,
    Service,
    Member,
}
