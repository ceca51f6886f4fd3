/**
 * mcpgate as a library: start the same gateway the CLI starts, from a typed config, with hooks
 * on every message and tool call.
 *
 * @module
 */
export { createGateway, type Gateway, type GatewayOptions } from './gateway.js';
export type {
  GatewayConfig,
  UpstreamConfig,
  StdioUpstreamConfig,
  HttpUpstreamConfig,
  OAuthUpstreamConfig,
  UpstreamTransportKind,
  LogLevel,
  AuditLogConfig,
  TlsConfig,
} from './config/types.js';
export type {
  Hook,
  HookContext,
  Caller,
  Frontend,
  StartInfo,
  MessageHandler,
  MessageMiddleware,
  MessageAnswer,
  ToolCall,
  ToolResult,
  ToolCallHandler,
  ToolCallMiddleware,
  ToolResultHandler,
  ToolResultMiddleware,
  ToolCallEnding,
  ToolCallEnded,
  JsonRpcMessage,
  JsonRpcRequest,
  JsonRpcNotification,
  JsonRpcResultResponse,
  JsonRpcErrorResponse,
  JsonRpcErrorObject,
  JsonRpcId,
} from './hooks/types.js';
export { auditLog, type AuditLogOptions } from './hooks/audit-log.js';
export { maskSecrets } from './log/mask-secrets.js';
export { toolPolicy } from './hooks/tool-policy.js';
export { loadHookModules, type HookModuleHelpers } from './hooks/load-modules.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export { Upstream, type UpstreamState, type UpstreamStatus, type CallOptions } from './upstream/upstream.js';
export type { Catalog } from './upstream/catalog.js';
export { createLogger, type Logger } from './log/logger.js';
