/**
 * The built-in audit log: one JSON line per tool call, appended to a file, written only on the
 * public hook API. The line says when the call started, which server and tool it was for, who
 * made it, how long it took and how it ended; its arguments only when asked, with secrets masked.
 * An audit log that cannot be written never fails the call it records: it warns once and keeps
 * trying on later calls.
 *
 * @module
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { describeError, isGatewayError } from '../errors.js';
import { maskSecrets } from '../log/mask-secrets.js';
import { outcomeOfError, outcomeOfResult, type CallOutcome } from './call-outcome.js';
import type { Hook, HookContext, ToolCall } from './types.js';

export interface AuditLogOptions {
  /** The JSON Lines file; created if missing, always appended to. */
  path: string;
  /** Also write each call's arguments (through `maskSecrets`). Off by default: they may hold personal data. */
  includeArguments?: boolean;
}

function callerOf(context: HookContext): Record<string, unknown> {
  const caller: Record<string, unknown> = { frontend: context.frontend };
  if (context.session !== undefined) caller.session = context.session;
  if (context.caller.address !== undefined) caller.address = context.caller.address;
  const client = context.caller.client;
  if (client !== undefined) caller.client = { name: client.name, version: client.version };
  return caller;
}

export function auditLog(options: AuditLogOptions): Hook {
  const { path, includeArguments = false } = options;
  // Opened on the first call, so building the hook (e.g. to validate a config) touches no file.
  let stream: WriteStream | undefined;
  // One warning per run of failures: a vanished directory must not flood the log on every call.
  let warned = false;

  function failed(error: unknown): void {
    if (warned) return;
    warned = true;
    process.emitWarning(`audit-log: cannot write to ${path}: ${describeError(error)}`, 'AuditLogWarning');
  }

  function open(): WriteStream {
    const opened = createWriteStream(path, { flags: 'a' });
    opened.on('error', (error) => {
      // A failed stream is destroyed; drop it so the next call opens the file again.
      if (stream === opened) stream = undefined;
      failed(error);
    });
    return opened;
  }

  function record(call: ToolCall, context: HookContext, time: string, start: number, args: unknown, outcome: CallOutcome, error?: unknown): void {
    const durationMs = Math.round((performance.now() - start) * 1000) / 1000;
    // Nothing here may throw into the call: the log is a witness, not a gate.
    try {
      const entry: Record<string, unknown> = { time, server: call.server, tool: call.tool, caller: callerOf(context), durationMs, outcome };
      if (outcome === 'error' || outcome === 'cancelled') {
        entry.error = isGatewayError(error) ? { code: error.code, message: error.message } : { message: describeError(error) };
      }
      if (includeArguments) entry.arguments = args;
      stream ??= open();
      // One write per line: the stream queues writes whole, so lines from concurrent calls never interleave.
      stream.write(`${JSON.stringify(entry)}\n`, (writeError) => {
        if (!writeError) warned = false;
      });
    } catch (thrown) {
      failed(thrown);
    }
  }

  return {
    name: 'audit-log',
    onToolCall: (next) => async (call, context) => {
      const time = new Date().toISOString();
      const start = performance.now();
      // Masked before the call, so the log shows the arguments as they reached this hook.
      const args = includeArguments ? maskSecrets(call.arguments) : undefined;
      let result;
      try {
        result = await next(call, context);
      } catch (error) {
        record(call, context, time, start, args, outcomeOfError(error), error);
        throw error;
      }
      record(call, context, time, start, args, outcomeOfResult(result));
      return result;
    },
    async onClose() {
      const closing = stream;
      stream = undefined;
      if (closing === undefined) return;
      // 'close' comes after the last write reached the file, and also after a failure destroyed the stream.
      await new Promise<void>((resolve) => {
        closing.once('close', () => resolve());
        closing.end();
      });
    },
  };
}
