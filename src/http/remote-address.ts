/**
 * The address of the client of an HTTP request, as Node's server saw it (the hooks' caller).
 * Requests that did not come through Node's server (`app.request()` in tests, another runtime)
 * have none.
 *
 * @module
 */
import type { Context } from 'hono';

export function remoteAddressOf(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}
