/**
 * mcpgate as a library: start the same gateway the CLI starts, from a typed config.
 *
 * @module
 */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export type {
  GatewayConfig,
  UpstreamConfig,
  StdioUpstreamConfig,
  HttpUpstreamConfig,
  UpstreamTransportKind,
  LogLevel,
} from './config/types.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export { Upstream, type UpstreamState, type UpstreamStatus, type CallOptions } from './upstream/upstream.js';
export type { Catalog } from './upstream/catalog.js';
export { createLogger, type Logger } from './log/logger.js';
