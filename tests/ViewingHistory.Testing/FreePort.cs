using System.Net;
using System.Net.Sockets;

namespace ViewingHistory.Testing;

/// <summary>A free TCP port on loopback, found by binding to port 0.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
