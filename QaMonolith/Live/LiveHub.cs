namespace QaMonolith.Live;

/// <summary>
/// The registry from topic to sockets, and the reader's position. One lock covers both, which is what makes a
/// resume exact: a socket registered at position P receives every event after P live, and everything up to P
/// comes from the stream's history.
/// </summary>
internal sealed class LiveHub(LiveMetrics metrics, ILogger<LiveHub> logger)
{
    private readonly Lock _lock = new();
    private const int SavedSlotsKept = 10_000;
    private readonly HashSet<AnswerSlot> _savedSlots = [];
    private readonly Queue<AnswerSlot> _savedOrder = new();
    private readonly Dictionary<string, HashSet<LiveConnection>> _subscribers = new(StringComparer.Ordinal);
    private readonly HashSet<LiveConnection> _connections = [];
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private StreamId? _position;
    private bool _stopping;

    /// <summary>The id of the last entry the reader dispatched; null until it has read the stream once.</summary>
    public StreamId? Position
    {
        get
        {
            lock (_lock)
            {
                return _position;
            }
        }
    }

    /// <summary>Completes once the reader knows where the stream stands.</summary>
    public Task Started => _started.Task;

    /// <summary>Sets the reader's starting point (its first read, or after the stream was recreated).</summary>
    public void Start(StreamId position)
    {
        lock (_lock)
        {
            _position = position;
        }

        _started.TrySetResult();
    }

    /// <summary>
    /// Registers a socket with its first topics and returns the position it starts from: every event after it
    /// will be queued to the socket. Null when the host is shutting down (the caller closes with 1001).
    /// </summary>
    public StreamId? Add(LiveConnection connection, IReadOnlyCollection<string> topics)
    {
        lock (_lock)
        {
            if (_stopping || _position is not { } position)
            {
                return null;
            }

            _connections.Add(connection);
            metrics.Connected();
            SubscribeLocked(connection, topics);
            return position;
        }
    }

    public void Remove(LiveConnection connection)
    {
        lock (_lock)
        {
            if (!_connections.Remove(connection))
            {
                return;
            }

            metrics.Disconnected();
            UnsubscribeLocked(connection, [.. connection.Topics]);
        }
    }

    /// <summary>Adds topics; false (and nothing changed) if the socket would then hold more than <paramref name="maxTopics"/>.</summary>
    public bool Subscribe(LiveConnection connection, IReadOnlyCollection<string> topics, int maxTopics)
    {
        lock (_lock)
        {
            if (connection.Topics.Count + topics.Distinct(StringComparer.Ordinal).Count(t => !connection.Topics.Contains(t)) > maxTopics)
            {
                return false;
            }

            if (_connections.Contains(connection))
            {
                SubscribeLocked(connection, topics);
            }

            return true;
        }
    }

    public void Unsubscribe(LiveConnection connection, IReadOnlyCollection<string> topics)
    {
        lock (_lock)
        {
            UnsubscribeLocked(connection, topics);
        }
    }

    /// <summary>
    /// Queues a batch of entries (<paramref name="first"/> to <paramref name="position"/>, ids of the stream, some
    /// perhaps not forwarded) to their topics' sockets and moves the position past them. Never waits: a socket
    /// whose queue is full is dropped from the registry and told to close with 1013.
    /// </summary>
    public void Publish(IReadOnlyList<LiveEvent> events, StreamId first, StreamId position)
    {
        List<LiveConnection>? overflowed = null;
        var dropped = 0;
        lock (_lock)
        {
            if (first <= _position)
            {
                // The stream went backwards: Redis lost it and new ids are below what sockets have seen, so their
                // resume tokens mean nothing now. Closing makes them reconnect, get a reset and reload over REST.
                logger.LogWarning("Stream ids went back from {Position} to {First}; closing {Count} live sockets", _position, first, _connections.Count);
                foreach (var socket in _connections)
                {
                    socket.RequestClose(CloseCodes.TryAgainLater, "event history was reset; reconnect");
                }
            }

            foreach (var e in events)
            {
                if (e is { Durable: true, Slot: { } saved })
                {
                    RememberSaved(saved);
                }

                if (!_subscribers.TryGetValue(e.Topic, out var sockets))
                {
                    continue;
                }

                foreach (var socket in sockets)
                {
                    if (!socket.TryEnqueue(e))
                    {
                        (overflowed ??= []).Add(socket);
                    }
                }

                if (overflowed is not null)
                {
                    foreach (var socket in overflowed)
                    {
                        if (_connections.Remove(socket))
                        {
                            metrics.Disconnected();
                            metrics.DroppedForOverflow();
                            dropped++;
                            UnsubscribeLocked(socket, [.. socket.Topics]);
                            socket.RequestClose(CloseCodes.TryAgainLater, "send queue full; reconnect with after=<last eventId>");
                        }
                    }

                    overflowed.Clear();
                }
            }

            _position = position;
        }

        if (dropped > 0)
        {
            logger.LogInformation("Closed {Count} live sockets whose send queue overflowed (1013); they resume from their last event", dropped);
        }
    }

    /// <summary>
    /// Queues ephemeral events (answer.delta) to their topics' sockets. They stand outside the resumable history, so
    /// the position does not move, and a socket whose queue is filling up simply misses them.
    /// </summary>
    public void PublishEphemeral(IReadOnlyList<LiveEvent> events)
    {
        var dropped = 0;
        var late = 0;
        lock (_lock)
        {
            foreach (var e in events)
            {
                // Live reads qa:live and qa:events apart, so a delta can come in after its answer was saved; the
                // socket already has the saved answer then, and a late delta would only open a stale placeholder.
                if (e.Slot is { } slot && _savedSlots.Contains(slot))
                {
                    late++;
                    continue;
                }

                if (_subscribers.TryGetValue(e.Topic, out var sockets))
                {
                    foreach (var socket in sockets)
                    {
                        dropped += socket.TryEnqueueEphemeral(e) ? 0 : 1;
                    }
                }
            }
        }

        metrics.DeltasDropped(dropped + late);
    }

    /// <summary>The slots whose answer.created went out lately, the oldest forgotten past <see cref="SavedSlotsKept"/>.</summary>
    private void RememberSaved(AnswerSlot slot)
    {
        if (_savedSlots.Add(slot))
        {
            _savedOrder.Enqueue(slot);
            if (_savedOrder.Count > SavedSlotsKept)
            {
                _savedSlots.Remove(_savedOrder.Dequeue());
            }
        }
    }

    /// <summary>Closes every socket with 1001 and refuses new ones: the host is stopping.</summary>
    public void CloseAll()
    {
        LiveConnection[] all;
        lock (_lock)
        {
            _stopping = true;
            all = [.. _connections];
        }

        logger.LogInformation("Closing {Count} live sockets for shutdown", all.Length);
        foreach (var connection in all)
        {
            connection.RequestClose(CloseCodes.GoingAway, "server shutting down");
        }
    }

    private void SubscribeLocked(LiveConnection connection, IEnumerable<string> topics)
    {
        foreach (var topic in topics)
        {
            if (!connection.Topics.Add(topic))
            {
                continue;
            }

            if (!_subscribers.TryGetValue(topic, out var sockets))
            {
                _subscribers[topic] = sockets = [];
            }

            sockets.Add(connection);
            metrics.Subscribed(1);
        }
    }

    private void UnsubscribeLocked(LiveConnection connection, IEnumerable<string> topics)
    {
        foreach (var topic in topics)
        {
            if (!connection.Topics.Remove(topic))
            {
                continue;
            }

            if (_subscribers.TryGetValue(topic, out var sockets) && sockets.Remove(connection) && sockets.Count == 0)
            {
                _subscribers.Remove(topic);
            }

            metrics.Subscribed(-1);
        }
    }
}
