/**
 * What the per-request endpoints serve: one server through the hub of its shared connection, or
 * every server as the aggregated endpoint. A 2026-07-28 request has no session to give a
 * connection of its own to, so it always goes through the server's shared connection, whatever
 * the server's `sharing`.
 *
 * @module
 */
import type { ServerEvent } from '@modelcontextprotocol/server';
import type { Logger } from '../log/logger.js';
import type { Upstream } from '../upstream/upstream.js';
import type { UpstreamSet } from '../upstream/upstream-set.js';
import { packageVersion } from '../version.js';
import { AGGREGATE_CAPABILITIES, AGGREGATE_INSTRUCTIONS, AggregateSession, aggregatedToolInputSchema, ownerOfResource } from './aggregate-session.js';
import type { PerRequestTarget } from './per-request-endpoint.js';
import type { SharedUpstreamHub } from './shared-hub.js';

/** The change event each server notification stands for, if any. */
function changeEventOf(notification: { method: string; params?: Record<string, unknown> }): ServerEvent | undefined {
  switch (notification.method) {
    case 'notifications/tools/list_changed':
      return { kind: 'tools_list_changed' };
    case 'notifications/prompts/list_changed':
      return { kind: 'prompts_list_changed' };
    case 'notifications/resources/list_changed':
      return { kind: 'resources_list_changed' };
    case 'notifications/resources/updated': {
      const uri = notification.params?.uri;
      return typeof uri === 'string' ? { kind: 'resource_updated', uri, params: notification.params } : undefined;
    }
    default:
      return undefined;
  }
}

/** One server, through the hub of its shared connection. */
export function serverTarget(hub: SharedUpstreamHub): PerRequestTarget {
  const { upstream } = hub;
  return {
    async describe() {
      await upstream.whenConnected(hub.connectTimeoutMs);
      // A server that is down still gets an identity; its requests then fail with the reason.
      return upstream.serverDescription ?? { serverInfo: { name: upstream.name, version: '0.0.0' }, capabilities: { tools: {}, prompts: {}, resources: {} } };
    },
    passesInputRounds() {
      return upstream.speaksModern();
    },
    toolInputSchema(name) {
      return upstream.catalog.tools.find((tool) => tool.name === name)?.inputSchema as Record<string, unknown> | undefined;
    },
    open(transport, client) {
      const session = hub.attach(transport);
      session.clientCapabilities = client.capabilities;
      session.modernRequest = client.modern;
      session.receiveLogsFrom(client.logLevel);
      return session;
    },
    watchChanges(publish) {
      return upstream.onServerNotification((notification) => {
        const event = changeEventOf(notification);
        if (event) publish(event);
      });
    },
    holdResourceSubscription(subscriber, uri) {
      return hub.holdSubscription(subscriber, uri);
    },
  };
}

/** Every server as one, with prefixed names (see `aggregate-session.ts`); `hubOf` gives a member's hub. */
export function aggregateTarget(upstreams: UpstreamSet, hubOf: (upstream: Upstream) => SharedUpstreamHub | undefined, logger: Logger): PerRequestTarget {
  // The aggregated lists are built from the catalogs, so a catalog change is a list change, as
  // is a server that comes or goes with a config reload.
  const listsChanged = (publish: (event: ServerEvent) => void) => (): void => {
    publish({ kind: 'tools_list_changed' });
    publish({ kind: 'prompts_list_changed' });
    publish({ kind: 'resources_list_changed' });
  };
  return {
    async describe() {
      return {
        serverInfo: { name: 'mcpgate', version: packageVersion },
        // Resource updates are offered through subscriptions/listen, held on the owning server.
        capabilities: { ...AGGREGATE_CAPABILITIES, resources: { ...AGGREGATE_CAPABILITIES.resources, subscribe: true } },
        instructions: AGGREGATE_INSTRUCTIONS,
      };
    },
    async passesInputRounds() {
      return false;
    },
    toolInputSchema(name) {
      return aggregatedToolInputSchema(upstreams.values(), name);
    },
    open(transport) {
      return new AggregateSession({ upstreams, transport, logger });
    },
    watchChanges(publish) {
      const changed = listsChanged(publish);
      return upstreams.watch((upstream) => {
        const stops = [
          upstream.onCatalogChange(changed),
          upstream.onServerNotification((notification) => {
            const event = changeEventOf(notification);
            if (event?.kind === 'resource_updated') publish(event);
          }),
        ];
        return () => stops.forEach((stop) => stop());
      }, changed);
    },
    async holdResourceSubscription(subscriber, uri) {
      const owner = ownerOfResource(upstreams.values(), uri);
      const hub = owner && hubOf(owner);
      if (!hub) throw new Error(`no server lists the resource ${uri}`);
      return hub.holdSubscription(subscriber, uri);
    },
  };
}
