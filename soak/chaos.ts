/**
 * The chaos loop: every interval, SIGKILL one child process of the gateway, picked at random.
 *
 * A child is either a server's supervised connection (the pid `/readyz` shows; REST, the
 * aggregated `/mcp` and shared sessions use it), which the gateway must restart with backoff, or
 * the child of one per-session MCP session, whose session must end with an error so that the
 * client opens a new one. The kind is picked first, then a child of that kind, so that a run of a
 * few kills hits each kind instead of mostly the most numerous one.
 *
 * After killing a supervised child, the loop watches `/readyz` until that server is `ready`
 * again with a new pid, and records how long that took; one that does not come back within
 * `recoveryTimeoutMs` fails the run.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readiness } from './gateway.js';
import type { ProcessTracker, TrackedProcess } from './process-tracker.js';

export type ChildRole = 'supervised' | 'session';

export interface Kill {
  /** Seconds since the run started. */
  atSeconds: number;
  pid: number;
  server: string;
  role: ChildRole;
  /** For a supervised child: ms until `/readyz` showed it ready with a new pid; undefined while unknown or for sessions. */
  recoveredMs?: number;
  /** For a supervised child: false when it did not come back in time. */
  recovered?: boolean;
}

export class ChaosLoop {
  readonly kills: Kill[] = [];
  private timer: NodeJS.Timeout | undefined;
  private killing: Promise<void> | undefined;
  private readonly recoveries = new Set<Promise<void>>();

  constructor(
    private readonly tracker: ProcessTracker,
    /** The configured servers (the `SOAK_SERVER` of their children). */
    private readonly servers: ReadonlySet<string>,
    private readonly baseUrl: string,
    private readonly intervalMs: number,
    private readonly startedAt: number,
    private readonly progress: (line: string) => void,
    private readonly recoveryTimeoutMs = 30_000,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.killing ??= this.killOne().finally(() => (this.killing = undefined));
    }, this.intervalMs);
  }

  /** Stops killing; resolves once a kill under way is done and the recoveries being watched are known. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.killing;
    await Promise.all([...this.recoveries]);
  }

  private async killOne(): Promise<void> {
    const status = await readiness(this.baseUrl);
    // Stopped while asking: a kill now would land in the quiet period after the load.
    if (!this.timer) return;
    const supervisedPids = new Set(status.upstreams.map((upstream) => upstream.pid).filter((pid): pid is number => pid !== null));
    const groups = new Map<string, Array<TrackedProcess & { role: ChildRole }>>();
    for (const child of this.tracker.directChildren()) {
      // Only the configured servers' children: a gateway started through tsx also has tsx's
      // esbuild service below it, which is the development loader's, not the product's.
      if (!this.servers.has(child.server)) continue;
      const role: ChildRole = supervisedPids.has(child.pid) ? 'supervised' : 'session';
      const group = `${child.server} ${role}`;
      const members = groups.get(group) ?? [];
      members.push({ ...child, role });
      groups.set(group, members);
    }
    if (groups.size === 0) return;
    const members = [...groups.values()][Math.floor(Math.random() * groups.size)]!;
    const target = members[Math.floor(Math.random() * members.length)]!;
    try {
      process.kill(target.pid, 'SIGKILL');
    } catch {
      return; // It ended on its own between the scan and the kill.
    }
    const kill: Kill = { atSeconds: (Date.now() - this.startedAt) / 1000, pid: target.pid, server: target.server, role: target.role };
    this.kills.push(kill);
    this.progress(`chaos: SIGKILL ${target.server} ${target.role === 'supervised' ? 'supervised child' : 'session child'} pid ${target.pid}`);
    if (target.role === 'supervised') {
      const watching = this.watchRecovery(kill).finally(() => this.recoveries.delete(watching));
      this.recoveries.add(watching);
    }
  }

  private async watchRecovery(kill: Kill): Promise<void> {
    const started = performance.now();
    while (performance.now() - started < this.recoveryTimeoutMs) {
      const upstream = (await readiness(this.baseUrl)).upstreams.find((entry) => entry.name === kill.server);
      if (upstream && upstream.state === 'ready' && upstream.pid !== null && upstream.pid !== kill.pid) {
        kill.recovered = true;
        kill.recoveredMs = performance.now() - started;
        return;
      }
      await sleep(100);
    }
    kill.recovered = false;
    this.progress(`chaos: ${kill.server} was not ready again within ${this.recoveryTimeoutMs / 1000} s of the kill`);
  }
}
