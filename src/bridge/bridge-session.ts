/**
 * What the session table and the endpoints know of a session, whichever way it reaches its
 * server (a shared upstream, or a connection of its own).
 *
 * @module
 */
export interface BridgeSession {
  /** The configured server this session talks to. */
  readonly server: string;
  /** Requests of this session being served now; a session with one is never idle. */
  readonly inFlight: number;
  /**
   * Ends the session: cancels what it has in flight and releases what it holds upstream. With a
   * `reason`, requests still waiting on a connection of the session's own are answered with an
   * error that gives it (a shared connection's calls fail on their own when it is stopped).
   */
  close(reason?: string): Promise<void>;
}
