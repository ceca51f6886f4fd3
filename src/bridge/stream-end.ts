/**
 * Noticing when an HTTP answer's body is over: read to its end, failed, or cancelled by a client
 * that went away. Long-lived SSE answers hold something (an open-stream count, an upstream
 * subscription) that must be let go exactly then.
 *
 * @module
 */

/** `response` unchanged for the client, with `onEnd` called once when its body ends in any way (at once when it has none). */
export function whenStreamEnds(response: Response, onEnd: () => void): Response {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    onEnd();
  };
  if (!response.body) {
    end();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
