/**
 * The gateway's V8 heap, from its own `/metrics` (prom-client's default process metrics), to say
 * where a difference in RSS lies: live objects (heap used), or memory V8 holds without using it
 * (heap total minus used), or outside the heap (external: buffers, and what remains of RSS: code,
 * the allocator's free lists). Read only for the summary; a gateway without `/metrics` (turned off,
 * or behind an API key) simply has no heap figures, and nothing is judged on them.
 *
 * @module
 */

export interface HeapStats {
  usedKiB: number;
  totalKiB: number;
  externalKiB: number;
}

function gauge(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The heap figures now, or undefined when `/metrics` does not give them. */
export async function heapStats(baseUrl: string): Promise<HeapStats | undefined> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const text = await response.text();
    if (response.status !== 200) return undefined;
    const used = gauge(text, 'nodejs_heap_size_used_bytes');
    const total = gauge(text, 'nodejs_heap_size_total_bytes');
    const external = gauge(text, 'nodejs_external_memory_bytes');
    if (used === undefined || total === undefined || external === undefined) return undefined;
    return { usedKiB: used / 1024, totalKiB: total / 1024, externalKiB: external / 1024 };
  } catch {
    return undefined;
  }
}
