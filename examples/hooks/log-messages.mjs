// A hook that logs every JSON-RPC message going through the gateway, one line each on stderr,
// and changes nothing. Load it with `--hook examples/hooks/log-messages.mjs` or list it in a
// config file's "hooks".
//
// A line reads, for example:
//
//   [log-messages] client -> demo rest session=- request tools/call id=mcpgate-rest-1
//   [log-messages] server <- demo rest session=- response id=mcpgate-rest-1 ok
//
// "client" is a message the client sent (before the gateway handles it), "server" one sent to
// the client (before it leaves). Over REST the hooks see the MCP request a call stands for, with
// an id of the gateway's own. On the aggregated endpoint (`/mcp` with a config file) the server
// is "*", since its messages may be for any server.
//
// It writes to stderr, never stdout: the gateway's own logs go to stderr too, and in the
// `--stdio` client mode stdout carries the MCP messages themselves (frontend "stdio" there, and
// no URL at start).

/** Writes one line; a closed stderr must not turn into a failure of the message being logged. */
function log(text) {
  try {
    process.stderr.write(`[log-messages] ${text}\n`);
  } catch {
    // Nothing sensible left to do.
  }
}

/** What a message is: a request or notification by its method, a response by its id. */
function describe(message) {
  if ('method' in message) {
    return 'id' in message ? `request ${message.method} id=${String(message.id)}` : `notification ${message.method}`;
  }
  return `response id=${String(message.id)} ${'error' in message ? `error ${message.error.code}` : 'ok'}`;
}

/** Message middleware that logs, then passes the message on unchanged. */
function logging(direction) {
  const arrow = direction === 'client' ? '->' : '<-';
  return (next) => (message, context) => {
    log(`${direction} ${arrow} ${context.server} ${context.frontend} session=${context.session ?? '-'} ${describe(message)}`);
    // Pass it on, and return what the rest of the chain returns (a later hook may answer it).
    return next(message, context);
  };
}

export default {
  name: 'log-messages',
  onStart({ url, servers }) {
    log(`start ${url ?? '(stdio)'} servers=${servers.join(',')}`);
  },
  onClose() {
    log('close');
  },
  onClientMessage: logging('client'),
  onServerMessage: logging('server'),
};
