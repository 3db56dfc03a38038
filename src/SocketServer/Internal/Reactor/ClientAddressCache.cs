using System.Net;
using System.Runtime.InteropServices;

namespace SocketServer.Internal.Reactor;

/// <summary>
/// The client <see cref="EndPoint"/>s of a datagram server's recent senders, keyed by the raw address bytes the kernel
/// reported: a repeat client's datagram costs no <see cref="EndPoint"/> (and no <see cref="IPAddress"/>), a new client
/// allocates once. Bounded: a fixed table, two ways per set, the older way replaced on a miss, so a flood of spoofed
/// addresses costs what it did before (one <see cref="EndPoint"/> each) and cannot grow it. The seed is random, so
/// that nobody can aim addresses at one set. One loop's thread only.
/// </summary>
internal sealed class ClientAddressCache
{
    /// <summary>How many addresses the table holds (a power of two).</summary>
    public const int Capacity = 1024;

    private readonly EndPoint _template;
    private readonly Entry[] _entries = new Entry[Capacity];
    private readonly ulong _seed = (ulong)Random.Shared.NextInt64() | 1;

    /// <summary>A cache whose misses are made by <paramref name="template"/>'s <see cref="EndPoint.Create"/> (the server's address).</summary>
    public ClientAddressCache(EndPoint template) => _template = template;

    /// <summary>How many <see cref="EndPoint"/>s were made so far; for tests.</summary>
    public int Misses { get; private set; }

    /// <summary>The client <see cref="EndPoint"/> for <paramref name="address"/>, as <see cref="EndPoint.Create"/> would make it.</summary>
    public EndPoint Find(SocketAddress address)
    {
        ReadOnlySpan<byte> key = address.Buffer.Span[..address.Size];
        int set = (int)(Hash(key) & (Capacity - 2));
        ref Entry first = ref _entries[set];
        ref Entry second = ref _entries[set + 1];
        if (first.Matches(key))
        {
            first.Used = true;
            second.Used = false;
            return first.EndPoint!;
        }

        if (second.Matches(key))
        {
            second.Used = true;
            first.Used = false;
            return second.EndPoint!;
        }

        Misses++;
        EndPoint endPoint = _template.Create(address);
        // The way not used last is replaced.
        bool replaceFirst = !first.Used;
        (replaceFirst ? ref first : ref second).Store(key, endPoint);
        first.Used = replaceFirst;
        second.Used = !replaceFirst;
        return endPoint;
    }

    private ulong Hash(ReadOnlySpan<byte> key)
    {
        ulong hash = _seed ^ (ulong)key.Length;
        while (key.Length >= sizeof(ulong))
        {
            hash = (hash ^ MemoryMarshal.Read<ulong>(key)) * 0x9E3779B97F4A7C15UL;
            hash ^= hash >> 29;
            key = key[sizeof(ulong)..];
        }

        foreach (byte b in key)
        {
            hash = (hash ^ b) * 0x100000001B3UL;
        }

        hash *= 0x9E3779B97F4A7C15UL;
        return hash ^ (hash >> 32);
    }

    private struct Entry
    {
        public byte[]? Key;
        public int KeyLength;
        public EndPoint? EndPoint;
        public bool Used;

        public readonly bool Matches(ReadOnlySpan<byte> key) =>
            EndPoint is not null && KeyLength == key.Length && Key.AsSpan(0, KeyLength).SequenceEqual(key);

        public void Store(ReadOnlySpan<byte> key, EndPoint endPoint)
        {
            if (Key is null || Key.Length < key.Length)
            {
                Key = new byte[Math.Max(key.Length, 32)];
            }

            key.CopyTo(Key);
            KeyLength = key.Length;
            EndPoint = endPoint;
        }
    }
}
