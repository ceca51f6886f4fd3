/**
 * The pass-through hook chain of `npm run bench -- --only hooks`: every message and tool
 * middleware, each passing everything on unchanged. It runs the whole hook machinery (the message
 * chains of both directions, the tool-call interception, the result chain) without doing
 * anything, so what it costs is the cost of the chain itself.
 */
export default {
  name: 'pass-through',
  onClientMessage: (next) => (message, context) => next(message, context),
  onServerMessage: (next) => (message, context) => next(message, context),
  onToolCall: (next) => (call, context) => next(call, context),
  onToolResult: (next) => (result, call, context) => next(result, call, context),
};
