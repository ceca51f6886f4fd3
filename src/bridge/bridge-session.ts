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
  /** Ends the session: cancels what it has in flight and releases what it holds upstream. */
  close(): Promise<void>;
}
