/**
 * The address of the client of an HTTP request, as Node's server saw it (the hooks' caller).
 * Requests that did not come through Node's server (`app.request()` in tests, another runtime)
 * have none.
 *
 * A web `Request` handed to code that never sees the HTTP context (the SDK's per-request handler,
 * which gives it back as `ctx.http.req`) carries its address in a weak map instead.
 *
 * @module
 */
import type { Context } from 'hono';

export function remoteAddressOf(c: Context): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

const addresses = new WeakMap<Request, string>();

/** Remembers `address` as the client address of `request`, for {@link rememberedAddressOf}. */
export function rememberAddress(request: Request, address: string | undefined): void {
  if (address !== undefined) addresses.set(request, address);
}

/** The client address remembered for `request` with {@link rememberAddress}. */
export function rememberedAddressOf(request: Request): string | undefined {
  return addresses.get(request);
}
