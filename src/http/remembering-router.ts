/**
 * The gateway app's router: Hono's trie router, with its answer for each method and path
 * remembered.
 *
 * Why: the trie router walks the tree for every request, sorts the handlers it found and makes a
 * params object for each, which was about a tenth of the bytes a busy gateway allocated per
 * request, for an answer that never changes while the routes stay the same. Clients call the same
 * few paths (`/mcp`, `/messages`, a tool's route) again and again. Hono's faster routers cannot
 * serve these routes: the RegExp router refuses `/docs/:file` beside `/:tool`, and the pattern
 * router matches every route with a trailing slash too.
 *
 * Bounded: once it holds {@link MAX_REMEMBERED_PATHS} paths it starts over, so a client making up
 * paths costs a trie walk per request, as before, and no memory. Adding a route forgets them all.
 * A remembered answer is shared by the requests to its path; Hono only reads it.
 *
 * The answer stops at the first handler that answers every request ({@link answersEveryRequest}):
 * what comes after it never runs. `/mcp` is also the path of a tool named `mcp`, so its handler
 * came first among three; alone, Hono calls it directly instead of through its async chain
 * (decision 68).
 *
 * @module
 */
import type { Result, Router } from 'hono/router';
import { TrieRouter } from 'hono/router/trie-router';

/** Route handlers that answer every request they are given and never call `next`. */
const answeringHandlers = new WeakSet<object>();

/**
 * Marks a route handler as answering every request it is given (a response, or an error for the
 * app's error handler) without calling `next`, so that handlers matched after it are left out.
 */
export function answersEveryRequest<H extends object>(handler: H): H {
  answeringHandlers.add(handler);
  return handler;
}

/** Paths remembered per method before starting over. */
export const MAX_REMEMBERED_PATHS = 512;
const MAX_REMEMBERED_METHODS = 64;

export class RememberingRouter<T> implements Router<T> {
  readonly name = 'RememberingRouter';
  private readonly trie = new TrieRouter<T>();
  /** Method -> path -> the trie's answer. */
  private readonly remembered = new Map<string, Map<string, Result<T>>>();

  add(method: string, path: string, handler: T): void {
    this.remembered.clear();
    this.trie.add(method, path, handler);
  }

  match(method: string, path: string): Result<T> {
    let paths = this.remembered.get(method);
    if (paths === undefined) {
      // Node's parser admits a few dozen methods; anything else (`app.request()`) is bounded too.
      if (this.remembered.size >= MAX_REMEMBERED_METHODS) this.remembered.clear();
      paths = new Map();
      this.remembered.set(method, paths);
    }
    let result = paths.get(path);
    if (result === undefined) {
      result = upToTheAnsweringHandler(this.trie.match(method, path));
      if (paths.size >= MAX_REMEMBERED_PATHS) paths.clear();
      paths.set(path, result);
    }
    return result;
  }
}

/**
 * The trie's answer without the handlers after the first one that answers every request. Hono
 * gives the router `[handler, route]` for each handler it adds.
 */
function upToTheAnsweringHandler<T>(result: Result<T>): Result<T> {
  const handlers = result[0];
  const answering = handlers.findIndex(([entry]) => Array.isArray(entry) && answeringHandlers.has(entry[0] as object));
  if (answering === -1 || answering === handlers.length - 1) return result;
  return [handlers.slice(0, answering + 1), ...result.slice(1)] as Result<T>;
}
