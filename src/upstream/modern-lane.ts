/**
 * A second connection to a streamable HTTP server that the main connection speaks to in the
 * session era (decision 37), for 2026-07-28 requests: when the server speaks that era too, such a
 * request reaches it in its own era, so the server sees the client's own capabilities and its
 * `input_required` results (their keys, its `requestState`) pass through unchanged. A 2026-07-28
 * connection holds no session, so the lane costs one `server/discover` and nothing while idle.
 *
 * It is opened on the first 2026-07-28 request, not with the main connection: most clients are
 * of the session era, and their gateway need not ask. A server that refuses the era is asked
 * once per main connection (a restart may bring a newer server).
 *
 * @module
 */
import type { Client } from '@modelcontextprotocol/client';
import type { Logger } from '../log/logger.js';

export class ModernLane {
  /** The lane's client; `null` once the server refused the era. */
  private client: Promise<Client | null> | undefined;
  private closed = false;

  /** `open` connects a client pinned to 2026-07-28, or throws when the server does not speak it. */
  constructor(
    private readonly open: () => Promise<Client>,
    private readonly logger: Logger,
  ) {}

  /** The lane's client, opened on first use; undefined when the server does not speak 2026-07-28. */
  async get(): Promise<Client | undefined> {
    this.client ??= this.open().then(
      (client) => {
        if (this.closed) {
          void client.close().catch(() => undefined);
          return null;
        }
        // A lane that drops (the server went away) is opened again by the next request.
        client.onclose = () => {
          if (!this.closed) this.client = undefined;
        };
        this.logger.debug('2026-07-28 requests reach the server in their own era');
        return client;
      },
      (error: unknown) => {
        this.logger.info({ err: error }, 'the server does not speak 2026-07-28; requests of that era are translated to its sessions');
        return null;
      },
    );
    return (await this.client) ?? undefined;
  }

  close(): void {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    void client?.then((open) => open?.close()).catch(() => undefined);
  }
}
