/**
 * A REST client of the soak test: `POST /{server}/{tool}` in a loop with `fetch`, each request
 * bounded by an `AbortSignal.timeout` (a request still unanswered then is a hang), and each
 * answer classified (see `outcomes.ts`): the body of a 200 must be exactly the expected text,
 * a 5xx must carry a JSON body with a message (`{"detail":{"message":…}}` or
 * `{"detail":"…"}`), and anything else is unclear.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomCall, type ToolCall } from './calls.js';
import { clear, hang, ok, unclear, type Outcome, type Tally } from './outcomes.js';

/** Pause after a failure, so a client does not spin on 503s while a server restarts. */
const PAUSE_AFTER_FAILURE_MS = 100;

/** The message of a gateway error body, or undefined when it has none. */
function messageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return detail.trim() || undefined;
  if (typeof detail === 'object' && detail !== null) {
    const message = (detail as { message?: unknown }).message;
    if (typeof message === 'string' && message.trim() !== '') return message;
  }
  return undefined;
}

function describeFetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const base = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return cause ? `${base} (${cause.code ?? cause.message ?? 'no cause'})` : base;
}

/** Makes one call and classifies its answer. */
export async function restCall(baseUrl: string, call: ToolCall, timeoutMs: number): Promise<Outcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  let status: number;
  let text: string;
  try {
    const response = await fetch(`${baseUrl}/${call.server}/${call.tool}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call.arguments),
      signal,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    if (signal.aborted) return hang(`no answer within ${timeoutMs / 1000} s`);
    return unclear(`connection failed: ${describeFetchFailure(error)}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return unclear(`HTTP ${status} with a body that is not JSON: ${text.slice(0, 120)}`);
  }
  if (status === 200) {
    if (body === call.expected) return ok;
    return unclear(`200 with a wrong result: ${JSON.stringify(body).slice(0, 120)}`);
  }
  if (status >= 500) {
    const message = messageOf(body);
    return message === undefined ? unclear(`HTTP ${status} without a message: ${text.slice(0, 120)}`) : clear(`HTTP ${status}: ${message}`);
  }
  return unclear(`unexpected HTTP ${status}: ${text.slice(0, 160)}`);
}

/** Calls in a loop until `running()` is false; the call in hand is finished, not abandoned. */
export async function restClientLoop(id: number, baseUrl: string, tally: Tally, timeoutMs: number, running: () => boolean): Promise<void> {
  let sequence = 0;
  while (running()) {
    const call = randomCall(`rest${id}-${sequence++}`);
    const started = performance.now();
    const outcome = await restCall(baseUrl, call, timeoutMs);
    tally.record('REST', call.kind, outcome, performance.now() - started);
    if (outcome.kind !== 'ok') await sleep(PAUSE_AFTER_FAILURE_MS);
  }
}
