namespace ViewingHistory.Server.Auth;

internal enum CredentialKind
{
    None,
    Ingest,
    Service,
    Member,
}
