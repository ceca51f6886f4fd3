/**
 * The child processes a gateway has running, so that a forced stop (a second Ctrl-C) can kill
 * every process group at once instead of leaving children orphaned. Owned by one gateway and
 * handed to its transports; no module-level state.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';

/** Signals a child's whole process group (POSIX) or the child alone (Windows). */
export function signalProcessTree(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

export class ChildProcessRegistry {
  private readonly children = new Set<ChildProcess>();

  add(child: ChildProcess): void {
    this.children.add(child);
  }

  delete(child: ChildProcess): void {
    this.children.delete(child);
  }

  get size(): number {
    return this.children.size;
  }

  /** SIGKILLs every registered process group, synchronously: safe to call right before exiting. */
  killAll(): void {
    for (const child of this.children) signalProcessTree(child, 'SIGKILL');
    this.children.clear();
  }
}
