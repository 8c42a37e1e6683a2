namespace QaMonolith.Shared.Data;

/// <summary>Whether this process has applied the migrations; readiness waits for it.</summary>
internal sealed class DatabaseState
{
    private volatile bool _migrated;

    public bool IsMigrated => _migrated;

    public void MarkMigrated() => _migrated = true;
}
