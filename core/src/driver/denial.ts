/** An error thrown by Node's permission model (a confined plugin), in words; undefined for others. */
export function permissionDenial(err: unknown): string | undefined {
  const e = err as { code?: string; permission?: string; resource?: string } | undefined;
  if (e?.code !== 'ERR_ACCESS_DENIED') return undefined;
  const what: Record<string, string> = {
    FileSystemRead: 'read',
    FileSystemWrite: 'write',
    ChildProcess: 'start a process',
    WorkerThreads: 'start a worker thread',
  };
  const action = what[e.permission ?? ''] ?? e.permission ?? 'do something';
  return `${action}${e.resource ? ` ${e.resource}` : ''}`;
}
