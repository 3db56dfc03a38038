using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Reflection;

namespace SocketServer.Internal.Requests;

/// <summary>
/// Whether a server class lets its requests be seen by code other than the library's: a hook that is given the
/// request (<c>VerifyRequest</c>, <c>ProcessRequest</c>, <c>FinishRequest</c>, <c>CreateRequestHandler</c>,
/// <c>ShutdownRequest</c>, <c>CloseRequest</c>, <c>HandleError</c>, <c>HandleThreadException</c>) overridden outside
/// this assembly. Only a server whose hooks are all the library's may be handed an <see cref="AcceptedSocket"/>
/// instead of a <see cref="System.Net.Sockets.Socket"/>: a user's hook sees exactly what it always saw.
/// </summary>
internal static class RequestHooks
{
    private static readonly string[] s_names =
    [
        "VerifyRequest", "ProcessRequest", "FinishRequest", "CreateRequestHandler",
        "ShutdownRequest", "CloseRequest", "HandleError", "HandleThreadException",
    ];

    private static readonly ConcurrentDictionary<Type, bool> s_seen = new();

    /// <summary>True when a hook of <paramref name="serverType"/> that is given the request is not the library's own.</summary>
    public static bool AreOverridden([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.NonPublicMethods)] Type serverType)
    {
        if (s_seen.TryGetValue(serverType, out bool overridden))
        {
            return overridden;
        }

        overridden = Inspect(serverType);
        s_seen.TryAdd(serverType, overridden);
        return overridden;
    }

    private static bool Inspect([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.NonPublicMethods)] Type serverType)
    {
        Assembly library = typeof(BaseServer).Assembly;
        foreach (MethodInfo method in serverType.GetMethods(BindingFlags.Instance | BindingFlags.NonPublic))
        {
            if (Array.IndexOf(s_names, method.Name) >= 0 && method.DeclaringType?.Assembly != library && TakesRequest(method))
            {
                return true;
            }
        }

        return false;
    }

    private static bool TakesRequest(MethodInfo method)
    {
        ParameterInfo[] parameters = method.GetParameters();
        return parameters.Length > 0 && parameters[0].ParameterType == typeof(object)
            && (parameters.Length == 1 || parameters[1].ParameterType == typeof(EndPoint));
    }
}
