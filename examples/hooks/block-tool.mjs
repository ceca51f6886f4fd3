// A hook that refuses calls of some tools, on every frontend.
//
//   MCPGATE_BLOCKED_TOOLS=add npm start -- --hook examples/hooks/block-tool.mjs
//   curl -X POST http://127.0.0.1:8000/add -H 'content-type: application/json' -d '{"a":1,"b":2}'
//   → 500 {"detail":{"message":"mcpgate refused the call: tool \"add\" of server \"demo\" is blocked"}}
//
// `MCPGATE_BLOCKED_TOOLS` is a comma-separated list. An entry `tool` blocks that tool on every
// server, `server/tool` only on that server. Without the variable, `get-env` is blocked: the
// server-everything tool that shows the server's environment (and so its secrets) to the caller;
// set it empty to block nothing.
//
// Why `onToolCall`: it sees every call with the server's own name and the server's own tool name,
// whatever the frontend. A message hook (`onClientMessage` looking at `tools/call`) would see
// `everything_get-env` on the aggregated endpoint (`/mcp` with a config file, where tool names
// carry their server's name as a prefix) and the server "*", so a list of plain names would miss
// those calls.
//
// Why a tool result with `isError: true`: it is how MCP reports a tool that failed, so a model
// reads the reason and can carry on; REST answers it as the tool's failure (500, the text as
// `detail.message`). The tool stays listed, so callers can see it exists and learn why it fails.
// Two other ways, not taken here:
// - `allowTool(server, tool)` returning false hides the tool from every list (OpenAPI documents,
//   `tools/list`) and refuses its calls as calls of an unknown tool (404 over REST). Choose it
//   when callers should not even know the tool exists.
// - Throwing mcpgate's `GatewayError('FORBIDDEN', …)` answers 403 over REST and a JSON-RPC error
//   over MCP. A module that does not import mcpgate gets the class by exporting a function, which
//   the gateway calls with it: `export default ({ GatewayError }) => ({ name: …, onToolCall: … })`.

const blocked = new Set(
  (process.env.MCPGATE_BLOCKED_TOOLS ?? 'get-env')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== ''),
);

function isBlocked(server, tool) {
  return blocked.has(tool) || blocked.has(`${server}/${tool}`);
}

export default {
  name: 'block-tool',
  onToolCall: (next) => async (call, context) => {
    if (isBlocked(call.server, call.tool)) {
      // Answered here, without calling `next`: the server never sees the call.
      return {
        isError: true,
        content: [{ type: 'text', text: `mcpgate refused the call: tool "${call.tool}" of server "${call.server}" is blocked` }],
      };
    }
    return next(call, context);
  },
};
