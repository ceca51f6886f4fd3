/**
 * Every open MCP session of the gateway, by id, whatever endpoint opened it, and the reaper of
 * idle ones. A session is idle when it has no request in flight and no open stream (a client
 * listening on its GET or SSE stream is not idle); one idle for `idleTimeoutMs` is closed, and
 * with it its child process or upstream session.
 *
 * @module
 */
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Logger } from '../log/logger.js';
import type { BridgeSession } from './bridge-session.js';
import type { SseServerTransport } from './sse-server-transport.js';

/** The HTTP end of a session, by the endpoint that opened it. */
export type SessionEndpoint =
  | { endpoint: 'streamable-http'; transport: WebStandardStreamableHTTPServerTransport }
  | { endpoint: 'sse'; transport: SseServerTransport };

export type SessionEntry = SessionEndpoint & {
  id: string;
  server: string;
  session: BridgeSession;
  lastActivity: number;
  openStreams: number;
  /** Its server was taken out by a reload: it drains, and no longer counts as one of the server's sessions. */
  retired?: boolean;
};

export class SessionTable {
  private readonly entries = new Map<string, SessionEntry>();
  private readonly reaper: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly logger: Logger,
  ) {
    if (idleTimeoutMs > 0) {
      this.reaper = setInterval(() => this.reapIdle(), Math.min(60_000, Math.max(250, idleTimeoutMs / 4)));
      this.reaper.unref();
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every open session, for the metrics. */
  values(): IterableIterator<SessionEntry> {
    return this.entries.values();
  }

  add(entry: SessionEndpoint & { id: string; server: string; session: BridgeSession; openStreams?: number }): SessionEntry {
    const full: SessionEntry = { openStreams: 0, ...entry, lastActivity: Date.now() };
    this.entries.set(entry.id, full);
    return full;
  }

  /** The session, marked as used now. */
  use(id: string): SessionEntry | undefined {
    const entry = this.entries.get(id);
    if (entry) entry.lastActivity = Date.now();
    return entry;
  }

  /** Forgets the session; returns what it was. */
  remove(id: string | undefined): SessionEntry | undefined {
    if (id === undefined) return undefined;
    const entry = this.entries.get(id);
    this.entries.delete(id);
    return entry;
  }

  /** The sessions of `server` open now, marked retired: they drain, and new ones of its name no longer count them. */
  retire(server: string): SessionEntry[] {
    const retired = [...this.entries.values()].filter((entry) => entry.server === server && !entry.retired);
    for (const entry of retired) entry.retired = true;
    return retired;
  }

  countFor(server: string): number {
    let count = 0;
    for (const entry of this.entries.values()) if (entry.server === server && !entry.retired) count += 1;
    return count;
  }

  /**
   * Closes a session with nothing in flight to make room for a new one: one without an open
   * stream if there is one (nobody is listening to it), else one whose client only listens; the
   * least recently used of them. False when every session has a request in flight.
   */
  closeIdlest(): boolean {
    let idlest: SessionEntry | undefined;
    const rank = (entry: SessionEntry): number => (entry.openStreams > 0 ? 1 : 0);
    for (const entry of this.entries.values()) {
      if (entry.session.inFlight > 0) continue;
      if (!idlest || rank(entry) < rank(idlest) || (rank(entry) === rank(idlest) && entry.lastActivity < idlest.lastActivity)) idlest = entry;
    }
    if (!idlest) return false;
    this.logger.info({ session: idlest.id, server: idlest.server, idleMs: Date.now() - idlest.lastActivity }, 'closing the MCP session idle longest to make room for a new one (--max-total-sessions)');
    this.entries.delete(idlest.id);
    void idlest.session.close().catch(() => undefined);
    return true;
  }

  /** Whether no session has a request in flight. */
  get idle(): boolean {
    for (const entry of this.entries.values()) if (entry.session.inFlight > 0) return false;
    return true;
  }

  /** Closes every session; with a `reason`, requests still waiting fail with it. */
  async closeAll(reason?: string): Promise<void> {
    if (this.reaper) clearInterval(this.reaper);
    const sessions = [...this.entries.values()].map((entry) => entry.session);
    this.entries.clear();
    await Promise.all(sessions.map((session) => session.close(reason).catch(() => undefined)));
  }

  private reapIdle(): void {
    const now = Date.now();
    for (const entry of this.entries.values()) {
      if (entry.openStreams > 0 || entry.session.inFlight > 0) {
        entry.lastActivity = now;
        continue;
      }
      if (now - entry.lastActivity < this.idleTimeoutMs) continue;
      this.logger.info({ session: entry.id, server: entry.server, idleMs: now - entry.lastActivity }, 'closing an idle MCP session');
      this.entries.delete(entry.id);
      void entry.session.close().catch(() => undefined);
    }
  }
}
