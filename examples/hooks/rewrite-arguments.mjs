// A hook that rewrites a tool's arguments before the server sees them: every call of a tool
// named `echo` (the bundled demo server has one, and so does server-everything) gets its
// `message` prefixed, so the answer shows that the call went through the gateway.
//
//   npm start -- --hook examples/hooks/rewrite-arguments.mjs
//   curl -X POST http://127.0.0.1:8000/echo -H 'content-type: application/json' -d '{"message":"hi"}'
//   → "[via mcpgate] hi"
//
// The prefix is `MCPGATE_ECHO_PREFIX` when set. The same pattern fills in defaults, pins a
// value (a tenant id, a read-only flag) or removes an argument the caller must not choose.
//
// It is an `onToolCall` hook, not a message hook, because `onToolCall` sees every call the same
// way on every frontend (REST, `/mcp`, `/sse`, the aggregated endpoint): the server's own name,
// its own tool name and the arguments as an object. A message hook would see `tools/call` with
// prefixed names (`demo_echo`) on the aggregated endpoint.

const prefix = process.env.MCPGATE_ECHO_PREFIX ?? '[via mcpgate] ';

export default {
  name: 'rewrite-arguments',
  onToolCall: (next) => async (call, context) => {
    if (call.tool === 'echo' && typeof call.arguments.message === 'string') {
      // Pass on a changed copy; the call and its arguments are the caller's and stay as they are.
      return next({ ...call, arguments: { ...call.arguments, message: `${prefix}${call.arguments.message}` } }, context);
    }
    return next(call, context);
  },
};
