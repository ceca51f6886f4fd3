/**
 * Every process the gateway ever had below it, remembered for the end of the run.
 *
 * When the gateway exits, whatever it left running is re-parented (to init or a subreaper) and
 * can no longer be found by walking down from the gateway. So the tree is scanned every
 * `intervalMs` while the gateway runs, and each descendant is remembered by pid and start time
 * (a reused pid is a different process). At the end, `leftovers()` is every remembered process
 * still running, plus any process carrying the run's id in its environment (a child that was
 * started and re-parented between two scans would otherwise go unseen).
 *
 * @module
 */
import { RUN_VARIABLE, SERVER_VARIABLE } from './config.js';
import { commandLineOf, descendantsOf, environOf, isRunning, processesWithVariable, type ProcessIdentity, type ProcStat } from './proc.js';

export interface TrackedProcess extends ProcessIdentity {
  ppid: number;
  /** The `SOAK_SERVER` of its environment (which configured server it runs), or '?' . */
  server: string;
  command: string;
  firstSeen: number;
}

const key = (process: ProcessIdentity): string => `${process.pid}@${process.startTime}`;

export class ProcessTracker {
  private readonly seen = new Map<string, TrackedProcess>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rootPid: number,
    private readonly runId: string,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    this.scan();
    this.timer = setInterval(() => this.scan(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Scans the tree now; returns the live descendants (as remembered entries). */
  scan(): TrackedProcess[] {
    const live: TrackedProcess[] = [];
    for (const stat of descendantsOf(this.rootPid)) {
      let entry = this.seen.get(key(stat));
      if (!entry) {
        entry = trackedOf(stat);
        this.seen.set(key(stat), entry);
      }
      live.push(entry);
    }
    return live;
  }

  /** The gateway's direct children now, each with its server. */
  directChildren(): TrackedProcess[] {
    return this.scan().filter((entry) => entry.ppid === this.rootPid);
  }

  /** How many distinct processes were ever seen below the gateway. */
  get everSeen(): number {
    return this.seen.size;
  }

  /** Remembered processes still running, and processes marked with this run's id (deduplicated). */
  leftovers(): TrackedProcess[] {
    const found = new Map<string, TrackedProcess>();
    for (const entry of this.seen.values()) if (isRunning(entry)) found.set(key(entry), entry);
    for (const stat of processesWithVariable(RUN_VARIABLE, this.runId)) {
      if (found.has(key(stat))) continue;
      found.set(key(stat), trackedOf(stat));
    }
    return [...found.values()];
  }
}

/** What is remembered of a process: who it is, which server it runs, and its command line. */
function trackedOf(stat: ProcStat): TrackedProcess {
  return {
    pid: stat.pid,
    startTime: stat.startTime,
    ppid: stat.ppid,
    server: environOf(stat.pid)[SERVER_VARIABLE] ?? '?',
    command: commandLineOf(stat.pid).slice(0, 300),
    firstSeen: Date.now(),
  };
}
