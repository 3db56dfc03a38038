namespace SocketServer.Internal;

/// <summary>An object that can be in one <see cref="LinkedObjects{T}"/> at a time: it carries its own links.</summary>
/// <typeparam name="T">The object's own type.</typeparam>
internal interface ILinkedObject<T>
    where T : class
{
    /// <summary>The next object in the list it is in; set by the list only.</summary>
    T? NextLinked { get; set; }

    /// <summary>The previous object in the list it is in; set by the list only.</summary>
    T? PreviousLinked { get; set; }

    /// <summary>Whether it is in a list; set by the list only.</summary>
    bool IsLinked { get; set; }
}
