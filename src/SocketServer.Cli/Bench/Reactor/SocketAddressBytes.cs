using System.Net;
using System.Net.Sockets;
using System.Text;
using SocketServer.Internal.Reactor;

namespace SocketServer.Cli.Bench.Reactor;

/// <summary>A target's address as the <c>struct sockaddr</c> bytes <c>connect(2)</c> takes, built once per run.</summary>
internal static class SocketAddressBytes
{
    /// <summary>The <c>sockaddr_in</c>, <c>sockaddr_in6</c> or <c>sockaddr_un</c> of <paramref name="endPoint"/>.</summary>
    /// <param name="endPoint">An IPv4, IPv6 or Unix domain socket end point.</param>
    /// <returns>The address bytes, exactly as long as the address.</returns>
    /// <exception cref="NotSupportedException">Another kind of end point.</exception>
    public static byte[] From(EndPoint endPoint)
    {
        switch (endPoint)
        {
            case IPEndPoint { AddressFamily: AddressFamily.InterNetwork } ip:
                {
                    byte[] address = new byte[16];
                    WriteFamilyAndPort(address, ReactorNative.AfInet, ip.Port);
                    ip.Address.TryWriteBytes(address.AsSpan(4, 4), out _);
                    return address;
                }

            case IPEndPoint { AddressFamily: AddressFamily.InterNetworkV6 } ip:
                {
                    byte[] address = new byte[28];
                    WriteFamilyAndPort(address, ReactorNative.AfInet6, ip.Port);
                    ip.Address.TryWriteBytes(address.AsSpan(8, 16), out _);
                    BitConverter.TryWriteBytes(address.AsSpan(24, 4), (uint)ip.Address.ScopeId);
                    return address;
                }

            case UnixDomainSocketEndPoint unix:
                {
                    // sun_family, then the path and its terminating NUL. An abstract name (which the end point shows as
                    // "@name", as ss(8) does) starts with a NUL instead and has none at the end.
                    string path = unix.ToString();
                    bool isAbstract = path.StartsWith('@');
                    byte[] name = Encoding.UTF8.GetBytes(isAbstract ? path[1..] : path);
                    byte[] address = new byte[2 + 1 + name.Length];
                    BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)ReactorNative.AfUnix);
                    name.CopyTo(address, isAbstract ? 3 : 2);
                    return address;
                }

            default:
                throw new NotSupportedException($"The reactor engine cannot connect to {endPoint}.");
        }
    }

    private static void WriteFamilyAndPort(byte[] address, int family, int port)
    {
        BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)family);
        address[2] = (byte)(port >> 8);
        address[3] = (byte)port;
    }
}
