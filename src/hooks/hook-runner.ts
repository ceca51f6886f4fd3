/**
 * The one runner every frontend calls: it composes the hooks' middleware once, in the order the
 * hooks are given, and runs messages and tool calls through the chains.
 *
 * Isolation: each hook's handler is guarded. A `GatewayError` a hook throws is its answer (a
 * refusal); anything else is a failure of that hook, logged with its name and turned into a
 * `HOOK_FAILED` error for the one message or call it was handling. Nothing else is affected.
 *
 * The terminal handler of a chain must know where the message in hand goes, while the chain
 * itself is built once; so each run passes a context of its own carrying its delivery under a
 * symbol (object spread keeps it, so a hook may hand on `{ ...context, extra }`).
 *
 * @module
 */
import { copyWith } from '../copy-with.js';
import { describeError, GatewayError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type {
  Hook,
  HookContext,
  JsonRpcMessage,
  MessageAnswer,
  MessageHandler,
  StartInfo,
  ToolCall,
  ToolCallEnded,
  ToolCallEnding,
  ToolCallHandler,
  ToolResult,
  ToolResultHandler,
} from './types.js';

/** Which way a message goes: from the client, or to it. */
export type Direction = 'client' | 'server';

/** What became of a message run through a chain. */
export type MessageOutcome =
  /** Passed on (possibly changed) to the delivery given to `runMessage`. */
  | { kind: 'delivered' }
  /** A hook answered the request itself. */
  | { kind: 'answered'; answer: MessageAnswer }
  /** A hook returned without passing the message on. */
  | { kind: 'dropped'; hook: string }
  /** A hook refused it (its `GatewayError`) or failed (`HOOK_FAILED`). */
  | { kind: 'refused'; error: GatewayError };

const RUN = Symbol('mcpgate.hookRun');

interface MessageRun {
  deliver: (message: JsonRpcMessage) => void;
  delivered: boolean;
  /** The index of the deepest hook the message reached: the one that dropped it, if it was dropped. */
  reached: number;
}

interface ToolRun {
  perform: (call: ToolCall) => Promise<ToolResult>;
  /** The call as it finally went to the server (hooks may have changed its arguments). */
  performed?: ToolCall;
}

type RunContext<T> = HookContext & { [RUN]?: T };

/** The handler type a hook member's middleware takes and returns. */
type ChainHandler<M extends keyof Hook> = NonNullable<Hook[M]> extends (next: infer H) => unknown ? H : never;

/** The run a chain's last handler serves, from the context the hooks handed on. */
function runOf<T>(context: HookContext): T {
  const run = (context as RunContext<T>)[RUN];
  if (!run) throw new Error('a hook passed on a context of its own; pass on the one it was given (spread it to add fields)');
  return run;
}

/** A hook's failure, carried up through the hooks before it so that it is reported once, by name. */
class HookFailure extends Error {
  constructor(
    readonly hook: string,
    override readonly cause: unknown,
  ) {
    super(`hook "${hook}" failed: ${describeError(cause)}`);
  }
}

export class HookRunner {
  private hooks: Hook[] = [];
  private names: string[] = [];
  private clientChain: MessageHandler | undefined;
  private serverChain: MessageHandler | undefined;
  private toolCallChain: ToolCallHandler | undefined;
  private toolResultChain: ToolResultHandler | undefined;
  private toolFilters: Array<NonNullable<Hook['allowTool']>> = [];
  private filterNames: string[] = [];
  private toolObservers: Array<{ name: string; observe: NonNullable<Hook['observeToolCall']> }> = [];

  constructor(
    private readonly logger: Logger,
    hooks: readonly Hook[] = [],
    /** Told the name of each hook that fails (the metrics count them). */
    private readonly onHookFailure: (hook: string) => void = () => undefined,
  ) {
    this.use(hooks);
  }

  /**
   * Replaces the hooks, composing every chain anew. Frontends ask the runner on each message, so
   * the new chains apply from the next one; an MCP session opened while no hook handled messages
   * or calls was given no hooked transport, and stays without.
   */
  use(hooks: readonly Hook[]): void {
    this.hooks = [...hooks];
    this.names = hooks.map((hook, index) => hook.name ?? `hook #${index + 1}`);
    this.clientChain = this.composeMessages('onClientMessage');
    this.serverChain = this.composeMessages('onServerMessage');
    this.toolCallChain = this.composeToolCalls();
    this.toolResultChain = this.composeToolResults();
    this.toolFilters = hooks.flatMap((hook) => (hook.allowTool ? [hook.allowTool.bind(hook)] : []));
    this.filterNames = this.names.filter((_name, index) => hooks[index]!.allowTool !== undefined);
    this.toolObservers = hooks.flatMap((hook, index) =>
      hook.observeToolCall ? [{ name: this.names[index]!, observe: hook.observeToolCall.bind(hook) }] : [],
    );
  }

  get hasMessageHooks(): boolean {
    return this.clientChain !== undefined || this.serverChain !== undefined;
  }

  hasMessageHooksFor(direction: Direction): boolean {
    return (direction === 'client' ? this.clientChain : this.serverChain) !== undefined;
  }

  /** Whether hooks take part in tool calls (`onToolCall`, `onToolResult`): calls then run through them. */
  get hasToolHooks(): boolean {
    return this.toolCallChain !== undefined || this.toolResultChain !== undefined;
  }

  /** Whether hooks observe tool calls (`observeToolCall`). */
  get hasToolObservers(): boolean {
    return this.toolObservers.length > 0;
  }

  /**
   * Tells the observers that `call` starts; returns the function to call once with how it ended,
   * or undefined when no hook observes calls. What an observer throws is reported, not passed on.
   */
  observeToolCall(call: ToolCall, context: HookContext): ToolCallEnded | undefined {
    if (this.toolObservers.length === 0) return undefined;
    const ends: Array<{ name: string; ended: ToolCallEnded }> = [];
    for (const { name, observe } of this.toolObservers) {
      try {
        const ended = observe(call, context);
        if (typeof ended === 'function') ends.push({ name, ended });
      } catch (error) {
        this.reportFailure(new HookFailure(name, error), { server: call.server, tool: call.tool });
      }
    }
    return (ending: ToolCallEnding) => {
      for (const { name, ended } of ends) {
        try {
          ended(ending);
        } catch (error) {
          this.reportFailure(new HookFailure(name, error), { server: call.server, tool: call.tool });
        }
      }
    };
  }

  /** Whether every hook lets callers see and call `tool` of `server`. A hook that throws here denies. */
  allowsTool(server: string, tool: string): boolean {
    for (let i = 0; i < this.toolFilters.length; i += 1) {
      try {
        if (!this.toolFilters[i]!(server, tool)) return false;
      } catch (error) {
        this.logger.error({ err: error, server, tool }, 'a hook failed deciding whether a tool is allowed; the tool is hidden');
        this.onHookFailure(this.filterNames[i] ?? 'a hook');
        return false;
      }
    }
    return true;
  }

  /** Runs `message` through the chain of `direction`; `deliver` receives it if every hook passes it on. */
  async runMessage(direction: Direction, message: JsonRpcMessage, context: HookContext, deliver: (message: JsonRpcMessage) => void): Promise<MessageOutcome> {
    const chain = direction === 'client' ? this.clientChain : this.serverChain;
    if (!chain) {
      deliver(message);
      return { kind: 'delivered' };
    }
    const run: MessageRun = { deliver, delivered: false, reached: -1 };
    try {
      const answer = await chain(message, copyWith(context, { [RUN]: run }) as RunContext<MessageRun>);
      if (run.delivered) return { kind: 'delivered' };
      if (isAnswer(answer)) return { kind: 'answered', answer };
      return { kind: 'dropped', hook: this.names[run.reached] ?? 'a hook' };
    } catch (error) {
      if (run.delivered) {
        // Already on its way: the other side answers it, so the failure is only reported.
        this.reportFailure(error, { direction, method: methodOf(message) });
        return { kind: 'delivered' };
      }
      return { kind: 'refused', error: this.asRefusal(error, `while handling ${describeMessage(message)}`, { direction, method: methodOf(message) }) };
    }
  }

  /**
   * Runs a tool call through `onToolCall` (the last `next` calls `perform`), then its result
   * through `onToolResult`, with the observers told of it. Rejects with the call's own error, a
   * hook's refusal, or `HOOK_FAILED`.
   */
  callTool(call: ToolCall, context: HookContext, perform: (call: ToolCall) => Promise<ToolResult>): Promise<ToolResult> {
    const ended = this.observeToolCall(call, context);
    const running = this.hasToolHooks ? this.runToolHooks(call, context, perform) : performAsPromised(perform, call);
    if (!ended) return running;
    return running.then(
      (result) => {
        ended({ result });
        return result;
      },
      (error: unknown) => {
        ended({ error });
        throw error;
      },
    );
  }

  private async runToolHooks(call: ToolCall, context: HookContext, perform: (call: ToolCall) => Promise<ToolResult>): Promise<ToolResult> {
    const run: ToolRun = { perform };
    const runContext = copyWith(context, { [RUN]: run }) as RunContext<ToolRun>;
    const where = { server: call.server, tool: call.tool };
    let result: ToolResult;
    try {
      result = this.toolCallChain ? await this.toolCallChain(call, runContext) : await perform(call);
    } catch (error) {
      throw this.asRefusal(error, `during the call of tool "${call.tool}"`, where);
    }
    if (!this.toolResultChain) return result;
    try {
      return await this.toolResultChain(result, run.performed ?? call, context);
    } catch (error) {
      throw this.asRefusal(error, `on the result of tool "${call.tool}"`, where);
    }
  }

  /** `onStart` of every hook, in order; a failing one is logged and the others still run. */
  async start(info: StartInfo): Promise<void> {
    await this.runLifecycle(this.hooks, (hook) => hook.onStart?.(info), 'onStart');
  }

  /** `onClose` of every hook, in reverse order (the last started is the first to stop). */
  async close(): Promise<void> {
    await this.runLifecycle([...this.hooks].reverse(), (hook) => hook.onClose?.(), 'onClose');
  }

  /**
   * Replaces the hooks of a running gateway (a config reload): the new chains apply from the next
   * message, then hooks no longer listed get `onClose` and hooks listed for the first time get
   * `onStart`. Hooks kept (the same objects) are not restarted.
   */
  async replace(hooks: readonly Hook[], info: StartInfo): Promise<void> {
    const before = this.hooks;
    this.use(hooks);
    const kept = new Set(hooks);
    const known = new Set(before);
    await this.runLifecycle(before.filter((hook) => !kept.has(hook)).reverse(), (hook) => hook.onClose?.(), 'onClose');
    await this.runLifecycle(hooks.filter((hook) => !known.has(hook)), (hook) => hook.onStart?.(info), 'onStart');
  }

  private async runLifecycle(hooks: readonly Hook[], run: (hook: Hook) => unknown, member: 'onStart' | 'onClose'): Promise<void> {
    for (const hook of hooks) {
      const name = this.names[this.hooks.indexOf(hook)] ?? hook.name ?? 'a hook';
      await Promise.resolve()
        .then(() => run(hook))
        .catch((error: unknown) => {
          this.logger.error({ err: error, hook: name }, `hook "${name}" failed in ${member}`);
          this.onHookFailure(name);
        });
    }
  }

  private composeMessages(member: 'onClientMessage' | 'onServerMessage'): MessageHandler | undefined {
    const deliver: MessageHandler = (message, context) => {
      const run = runOf<MessageRun>(context);
      run.delivered = true;
      run.deliver(message);
    };
    return this.compose(member, deliver, (index, guarded) => (message, context) => {
      // Remembered so that a dropped message can name the hook that dropped it.
      const run = (context as RunContext<MessageRun>)[RUN];
      if (run) run.reached = index;
      return guarded(message, context);
    });
  }

  private composeToolCalls(): ToolCallHandler | undefined {
    return this.compose('onToolCall', (call, context) => {
      const run = runOf<ToolRun>(context);
      run.performed = call;
      return run.perform(call);
    });
  }

  private composeToolResults(): ToolResultHandler | undefined {
    return this.compose('onToolResult', (result) => result);
  }

  /**
   * The chain of `member` over every hook that defines it, in order, ending in `last`; undefined
   * when no hook defines it. Each handler is guarded so that what it throws names its hook.
   */
  private compose<M extends 'onClientMessage' | 'onServerMessage' | 'onToolCall' | 'onToolResult'>(
    member: M,
    last: ChainHandler<M>,
    around: (index: number, guarded: ChainHandler<M>) => ChainHandler<M> = (_index, guarded) => guarded,
  ): ChainHandler<M> | undefined {
    let next = last;
    let any = false;
    for (let index = this.hooks.length - 1; index >= 0; index -= 1) {
      const hook = this.hooks[index]!;
      const middleware = hook[member] as ((next: ChainHandler<M>) => ChainHandler<M>) | undefined;
      if (!middleware) continue;
      any = true;
      next = around(index, guard(this.names[index]!, middleware.call(hook, next)));
    }
    return any ? next : undefined;
  }

  /** A refusal as it stands, or a hook's failure logged and turned into `HOOK_FAILED`. */
  private asRefusal(error: unknown, while_: string, facts: Record<string, unknown>): GatewayError {
    if (error instanceof GatewayError) return error;
    const failure = error instanceof HookFailure ? error : new HookFailure('a hook', error);
    this.reportFailure(failure, facts);
    return new GatewayError('HOOK_FAILED', `hook "${failure.hook}" failed ${while_}: ${describeError(failure.cause)}`, { cause: failure.cause });
  }

  private reportFailure(error: unknown, facts: Record<string, unknown>): void {
    const hook = error instanceof HookFailure ? error.hook : 'a hook';
    const cause = error instanceof HookFailure ? error.cause : error;
    this.logger.error({ err: cause, hook, ...facts }, `hook "${hook}" failed`);
    this.onHookFailure(hook);
  }
}

/** Wraps one hook's handler so that what it throws names it (a refusal or an inner failure passes through as it is). */
function guard<F>(name: string, handler: F): F {
  const call = handler as (...args: unknown[]) => unknown;
  return (async (...args: unknown[]) => {
    try {
      return await call(...args);
    } catch (error) {
      throw error instanceof HookFailure || error instanceof GatewayError ? error : new HookFailure(name, error);
    }
  }) as unknown as F;
}

/** `perform(call)`, a throw included, as a promise. */
function performAsPromised(perform: (call: ToolCall) => Promise<ToolResult>, call: ToolCall): Promise<ToolResult> {
  try {
    return perform(call);
  } catch (error) {
    return Promise.reject(error);
  }
}

function isAnswer(value: unknown): value is MessageAnswer {
  if (typeof value !== 'object' || value === null) return false;
  return ('result' in value && typeof (value as { result: unknown }).result === 'object') || ('error' in value && typeof (value as { error: unknown }).error === 'object');
}

function methodOf(message: JsonRpcMessage): string | undefined {
  return 'method' in message ? message.method : undefined;
}

function describeMessage(message: JsonRpcMessage): string {
  if ('method' in message) return message.method;
  return `the response to request ${JSON.stringify(message.id)}`;
}
