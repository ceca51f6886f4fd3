/**
 * What the soak test reads about other processes, from Linux `/proc`: parent, state and start
 * time (`stat`), resident memory (`status`), open descriptors (`fd/`), command line and
 * environment. Every reader tolerates a process that ends between listing and reading.
 *
 * A pid alone does not name a process for long: pids are reused, and a run kills and restarts
 * children for minutes. So a process is remembered as (pid, start time), the start time being
 * field 22 of `/proc/<pid>/stat` (clock ticks since boot), which a reused pid cannot share.
 *
 * @module
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A process as it can be recognised later: pid plus start time. */
export interface ProcessIdentity {
  pid: number;
  startTime: number;
}

export interface ProcStat extends ProcessIdentity {
  ppid: number;
  /** One letter: R, S, D, Z (zombie), T, … */
  state: string;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone. */
export function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  // Index 0 of the rest is field 3 (state); field 4 is ppid; field 22 (starttime) is index 19.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), startTime: Number(fields[19]) };
}

/** Every pid in /proc. */
function allPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) if (/^\d+$/.test(entry)) pids.push(Number(entry));
  return pids;
}

/**
 * Every live process below `root` (children, grandchildren, …), zombies left out. Scans all of
 * /proc once and walks the parent links: `/proc/<pid>/task/<tid>/children` would be cheaper but
 * lists only the children forked by that one thread, and depends on a kernel option.
 */
export function descendantsOf(root: number): ProcStat[] {
  const byParent = new Map<number, ProcStat[]>();
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z') continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else byParent.set(stat.ppid, [stat]);
  }
  const found: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * Whether the process that had this identity is still running. A zombie counts as gone: it runs
 * no code and holds nothing but its pid (an orphan waits for its new parent to reap it).
 */
export function isRunning(process: ProcessIdentity): boolean {
  const stat = readStat(process.pid);
  return stat !== undefined && stat.startTime === process.startTime && stat.state !== 'Z';
}

/** Resident set size in KiB (`VmRSS`), or undefined when the process is gone. */
export function rssKiB(pid: number): number | undefined {
  return statusKiB(pid, 'VmRSS');
}

/** Peak resident set size in KiB (`VmHWM`), or undefined when the process is gone. */
export function peakRssKiB(pid: number): number | undefined {
  return statusKiB(pid, 'VmHWM');
}

/** A `kB` field of `/proc/<pid>/status`, or undefined when the process is gone. */
function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Inodes of the TCP connections a server listening on `port` has accepted and that are still
 * established, from the process's own view of `/proc/net/tcp` and `tcp6` (its network namespace).
 * Columns: `sl local_address rem_address st … inode`, addresses as `HEXIP:HEXPORT`, state `01`
 * meaning ESTABLISHED. A connection its client closed and the server did not (CLOSE_WAIT) is not
 * in the set: that one is the server's to close.
 */
export function acceptedConnectionInodes(pid: number, port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length < 10) continue;
      if (columns[1]!.endsWith(`:${hexPort}`) && columns[3] === '01') inodes.add(columns[9]!);
    }
  }
  return inodes;
}

/**
 * What each open descriptor points to, counted by kind: `socket`, `pipe`, `anon_inode` (epoll,
 * eventfd, …), `device`, `file`; sockets whose inode is in `connections` count as `connection`.
 */
export function fdKinds(pid: number, connections: ReadonlySet<string> = new Set()): Record<string, number> {
  const kinds: Record<string, number> = {};
  let entries: string[];
  try {
    entries = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return kinds;
  }
  for (const fd of entries) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    const kind = socket && connections.has(socket[1]!) ? 'connection' : (/^(\w+):/.exec(target)?.[1] ?? (target.startsWith('/dev/') ? 'device' : 'file'));
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** The process's environment variables, or an empty object when they cannot be read. */
export function environOf(pid: number): Record<string, string> {
  try {
    const variables: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const equals = entry.indexOf('=');
      if (equals > 0) variables[entry.slice(0, equals)] = entry.slice(equals + 1);
    }
    return variables;
  } catch {
    return {};
  }
}

/** The command line, arguments joined by spaces, or '' when the process is gone. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/**
 * Live processes whose environment holds `name=value`, wherever they are in the process tree.
 * The soak test's servers are started with a run id in their environment, so this finds one
 * that outlived the gateway even if it was never seen as its descendant (started and re-parented
 * between two scans).
 */
export function processesWithVariable(name: string, value: string): ProcStat[] {
  const found: ProcStat[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    if (environOf(pid)[name] !== value) continue;
    const stat = readStat(pid);
    if (stat && stat.state !== 'Z') found.push(stat);
  }
  return found;
}
