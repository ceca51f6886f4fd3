/**
 * One MCP session on the aggregated endpoint (`/mcp` and `/sse` with a config file): every
 * server's tools, prompts and resources as one MCP server. Tool and prompt names are prefixed
 * with the server's name (`time_get_current_time`) and fit `^[a-zA-Z0-9_-]{1,64}$`, shortened with
 * a stable hash when longer; a name depends only on its server's name and that server's own
 * names, so it never changes between starts or when other servers are added. Resource URIs are
 * kept (they are already global) and routed to the server that lists them.
 *
 * The lists are built from each upstream's catalog (as kept fresh on `list_changed`), so a server
 * that is down simply has no tools, and a change of any catalog, going down included, is
 * announced with `list_changed`. Calls go through each server's shared connection, as a shared
 * session's do.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import { copyWith } from '../copy-with.js';
import type { Logger } from '../log/logger.js';
import { assignOperationIds, OPERATION_ID_PATTERN, sanitiseName } from '../openapi/operation-ids.js';
import type { Catalog } from '../upstream/catalog.js';
import type { Upstream } from '../upstream/upstream.js';
import type { UpstreamSet } from '../upstream/upstream-set.js';
import { packageVersion } from '../version.js';
import type { BridgeSession } from './bridge-session.js';
import { ForwardedRequests } from './forwarded-requests.js';
import {
  errorResponse,
  gatewayErrorResponse,
  isNotification,
  isRequest,
  JsonRpcErrorCode,
  negotiatedProtocolVersion,
  resultResponse,
  type JsonRpcRequest,
  type RequestId,
} from './json-rpc.js';
import { malformedArguments } from './tool-policy.js';

/** The aggregated name of each of a server's tools or prompts, by original name. */
export function aggregatedNames(server: string, names: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const [name, id] of assignOperationIds(names)) {
    const joined = `${server}_${id}`;
    if (OPERATION_ID_PATTERN.test(joined)) {
      result.set(name, joined);
      continue;
    }
    const hash = createHash('sha256').update(`${server}\u0000${name}`, 'utf8').digest('hex').slice(0, 8);
    result.set(name, `${sanitiseName(joined).slice(0, 55)}_${hash}`);
  }
  return result;
}

interface Target {
  upstream: Upstream;
  name: string;
}

/** What the aggregated server offers now, and where each name leads; rebuilt when a catalog changes. */
class AggregateIndex {
  readonly tools: Record<string, unknown>[] = [];
  readonly prompts: Record<string, unknown>[] = [];
  readonly resources: Record<string, unknown>[] = [];
  readonly resourceTemplates: Record<string, unknown>[] = [];
  readonly toolTargets = new Map<string, Target>();
  readonly promptTargets = new Map<string, Target>();
  readonly resourceOwners = new Map<string, Upstream>();
  readonly templateOwners: Array<{ prefix: string; upstream: Upstream }> = [];

  constructor(upstreams: Iterable<Upstream>) {
    for (const upstream of upstreams) this.add(upstream, upstream.catalog);
  }

  private add(upstream: Upstream, catalog: Catalog): void {
    const toolNames = aggregatedNames(upstream.name, catalog.tools.map((tool) => tool.name));
    for (const tool of catalog.tools) {
      const name = toolNames.get(tool.name)!;
      this.tools.push({ ...tool, name, title: tool.title ?? tool.name });
      this.toolTargets.set(name, { upstream, name: tool.name });
    }
    const promptNames = aggregatedNames(upstream.name, catalog.prompts.map((prompt) => prompt.name));
    for (const prompt of catalog.prompts) {
      const name = promptNames.get(prompt.name)!;
      this.prompts.push({ ...prompt, name });
      this.promptTargets.set(name, { upstream, name: prompt.name });
    }
    for (const resource of catalog.resources) {
      if (this.resourceOwners.has(resource.uri)) continue;
      this.resources.push(resource as Record<string, unknown>);
      this.resourceOwners.set(resource.uri, upstream);
    }
    for (const template of catalog.resourceTemplates) {
      this.resourceTemplates.push(template as Record<string, unknown>);
      this.templateOwners.push({ prefix: template.uriTemplate.split('{')[0] ?? '', upstream });
    }
  }

  /** The server a URI belongs to: the one listing it, else the one whose template fits best. */
  ownerOf(uri: string): Upstream | undefined {
    const listed = this.resourceOwners.get(uri);
    if (listed) return listed;
    let best: { prefix: string; upstream: Upstream } | undefined;
    for (const owner of this.templateOwners) {
      if (uri.startsWith(owner.prefix) && (!best || owner.prefix.length > best.prefix.length)) best = owner;
    }
    return best?.upstream;
  }
}

/**
 * The last index built, reused while the same servers have the same catalogs: a catalog is
 * replaced, never changed in place, so identity tells. Every session of the aggregated endpoint,
 * and every 2026-07-28 request (one session each), would otherwise rebuild it.
 */
let lastIndex: { upstreams: Upstream[]; catalogs: Catalog[]; index: AggregateIndex } | undefined;

function currentIndex(upstreams: Iterable<Upstream>): AggregateIndex {
  const list = [...upstreams];
  const last = lastIndex;
  if (last && last.upstreams.length === list.length && list.every((upstream, i) => upstream === last.upstreams[i] && upstream.catalog === last.catalogs[i])) {
    return last.index;
  }
  const index = new AggregateIndex(list);
  lastIndex = { upstreams: list, catalogs: list.map((upstream) => upstream.catalog), index };
  return index;
}

/** The input schema of the tool an aggregated name stands for. */
export function aggregatedToolInputSchema(upstreams: Iterable<Upstream>, name: string): Record<string, unknown> | undefined {
  const target = currentIndex(upstreams).toolTargets.get(name);
  return target?.upstream.catalog.tools.find((tool) => tool.name === target.name)?.inputSchema as Record<string, unknown> | undefined;
}

/** The server, and the server's own name, of the tool an aggregated name stands for. */
export function aggregatedToolTarget(upstreams: Iterable<Upstream>, name: string): { server: string; tool: string } | undefined {
  const target = currentIndex(upstreams).toolTargets.get(name);
  return target && { server: target.upstream.name, tool: target.name };
}

/**
 * The server an aggregated name is prefixed with, when that server is not ready. Its catalog is
 * empty while it starts or restarts, so its names are missing from the index; a caller should
 * hear that the server is down and when to retry (as a REST call gets 503), not that the tool
 * does not exist. Server names may hold `_`, so the longest matching name wins.
 */
function unavailablePrefixOwner(upstreams: Iterable<Upstream>, name: string): Upstream | undefined {
  let owner: Upstream | undefined;
  for (const upstream of upstreams) {
    if (!name.startsWith(`${upstream.name}_`) || (owner && owner.name.length >= upstream.name.length)) continue;
    owner = upstream;
  }
  return owner && owner.currentState !== 'ready' ? owner : undefined;
}

/** The server a resource URI belongs to on the aggregated endpoint (see {@link AggregateIndex.ownerOf}). */
export function ownerOfResource(upstreams: Iterable<Upstream>, uri: string): Upstream | undefined {
  return currentIndex(upstreams).ownerOf(uri);
}

/** What the aggregated server offers: lists built from the catalogs, which change as servers come and go. */
export const AGGREGATE_CAPABILITIES = { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { listChanged: true } } as const;

export const AGGREGATE_INSTRUCTIONS = "Tools and prompts of several MCP servers; each name starts with its server's name.";

export interface AggregateSessionOptions {
  upstreams: UpstreamSet;
  transport: Transport;
  logger: Logger;
}

export class AggregateSession implements BridgeSession {
  readonly server = '*';
  private index: AggregateIndex;
  private readonly forwarded = new ForwardedRequests((message, relatedRequestId) => this.send(message, relatedRequestId));
  private readonly stopWatching: () => void;
  private closed = false;

  constructor(private readonly options: AggregateSessionOptions) {
    this.index = currentIndex(options.upstreams.values());
    options.transport.onmessage = (message) => this.receive(message);
    // Servers that come or go with a config reload change the lists as much as a catalog change.
    this.stopWatching = options.upstreams.watch(
      (upstream) => upstream.onCatalogChange(() => this.catalogChanged()),
      () => this.catalogChanged(),
    );
  }

  get inFlight(): number {
    return this.forwarded.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    this.forwarded.abortAll();
    await this.options.transport.close().catch(() => undefined);
  }

  private catalogChanged(): void {
    const before = this.index;
    this.index = currentIndex(this.options.upstreams.values());
    const changed = (a: unknown[], b: unknown[]): boolean => JSON.stringify(a) !== JSON.stringify(b);
    if (changed(before.tools, this.index.tools)) this.notify('notifications/tools/list_changed');
    if (changed(before.prompts, this.index.prompts)) this.notify('notifications/prompts/list_changed');
    if (changed(before.resources, this.index.resources) || changed(before.resourceTemplates, this.index.resourceTemplates)) {
      this.notify('notifications/resources/list_changed');
    }
  }

  private notify(method: string): void {
    this.send({ jsonrpc: '2.0', method } as JSONRPCMessage, undefined);
  }

  private receive(message: JSONRPCMessage): void {
    if (this.closed) return;
    if (isRequest(message)) void this.answer(message);
    else if (isNotification(message) && message.method === 'notifications/cancelled') this.forwarded.cancel(message.params?.requestId);
  }

  private async answer(request: JsonRpcRequest): Promise<void> {
    const { id, method, params } = request;
    const index = this.index;
    switch (method) {
      case 'initialize': {
        return this.send(
          resultResponse(id, {
            protocolVersion: negotiatedProtocolVersion(params),
            capabilities: AGGREGATE_CAPABILITIES,
            serverInfo: { name: 'mcpgate', version: packageVersion },
            instructions: AGGREGATE_INSTRUCTIONS,
          }),
          id,
        );
      }
      case 'ping':
        return this.send(resultResponse(id, {}), id);
      case 'tools/list':
        return this.send(resultResponse(id, { tools: index.tools }), id);
      case 'prompts/list':
        return this.send(resultResponse(id, { prompts: index.prompts }), id);
      case 'resources/list':
        return this.send(resultResponse(id, { resources: index.resources }), id);
      case 'resources/templates/list':
        return this.send(resultResponse(id, { resourceTemplates: index.resourceTemplates }), id);
      case 'tools/call':
      case 'prompts/get': {
        const targets = method === 'tools/call' ? index.toolTargets : index.promptTargets;
        const target = targets.get(String(params?.name));
        if (!target) {
          const down = unavailablePrefixOwner(this.options.upstreams.values(), String(params?.name));
          if (down) return this.send(gatewayErrorResponse(id, down.unavailableError()), id);
          return this.send(errorResponse(id, JsonRpcErrorCode.InvalidParams, `Unknown ${method === 'tools/call' ? 'tool' : 'prompt'}: ${String(params?.name)}`), id);
        }
        const malformed = method === 'tools/call' ? malformedArguments(id, params) : undefined;
        if (malformed) return this.send(malformed, id);
        return this.forwarded.forward(target.upstream, request, { params: copyWith(params, { name: target.name }) });
      }
      case 'resources/read': {
        const owner = typeof params?.uri === 'string' ? index.ownerOf(params.uri) : undefined;
        if (!owner) return this.send(errorResponse(id, JsonRpcErrorCode.InvalidParams, `Resource not found: ${String(params?.uri)}`), id);
        return this.forwarded.forward(owner, request);
      }
      default:
        return this.send(errorResponse(id, JsonRpcErrorCode.MethodNotFound, `Method not found: ${method} (not offered by the aggregated endpoint; use /{server}/mcp)`), id);
    }
  }

  private send(message: JSONRPCMessage, relatedRequestId: RequestId | undefined): void {
    if (this.closed) return;
    this.options.transport.send(message, relatedRequestId === undefined ? undefined : { relatedRequestId }).catch((error: unknown) => {
      this.options.logger.debug({ err: error }, 'a message to an MCP client could not be delivered');
    });
  }
}
