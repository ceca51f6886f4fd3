/**
 * Resumability for legacy streamable HTTP sessions: the last messages of each stream, so a
 * client whose SSE stream broke reconnects with `Last-Event-ID` and misses nothing. Bounded per
 * session (oldest dropped first): an unbounded store is a memory leak on a busy session.
 *
 * @module
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** Events kept per session; a client more than this far behind starts over (mcp-proxy keeps 1000 too). */
export const DEFAULT_MAX_EVENTS = 1000;

export interface StoredEvent {
  id: EventId;
  streamId: StreamId;
  message: JSONRPCMessage;
}

export class BoundedEventStore implements EventStore {
  private readonly events: StoredEvent[] = [];
  private counter = 0;

  constructor(private readonly maxEvents = DEFAULT_MAX_EVENTS) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    return this.store(streamId, message);
  }

  /** {@link storeEvent} at once, for a writer that must keep its events in order without awaiting. */
  store(streamId: StreamId, message: JSONRPCMessage): EventId {
    // The stream id is part of the event id, as the specification recommends.
    const id = `${++this.counter}_${streamId}`;
    this.events.push({ id, streamId, message });
    if (this.events.length > this.maxEvents) this.events.splice(0, this.events.length - this.maxEvents);
    return id;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return this.streamIdOf(eventId);
  }

  streamIdOf(eventId: EventId): StreamId | undefined {
    const separator = eventId.indexOf('_');
    return separator > 0 ? eventId.slice(separator + 1) : undefined;
  }

  async replayEventsAfter(lastEventId: EventId, { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> }): Promise<StreamId> {
    const streamId = this.streamIdOf(lastEventId);
    if (streamId === undefined) throw new Error(`unknown event id ${JSON.stringify(lastEventId)}`);
    for (const event of this.eventsAfter(lastEventId, streamId)) await send(event.id, event.message);
    return streamId;
  }

  /** The events of `streamId` stored after `lastEventId` (all of them when that one is gone). */
  eventsAfter(lastEventId: EventId, streamId: StreamId): StoredEvent[] {
    const index = this.events.findIndex((event) => event.id === lastEventId);
    return this.events.slice(index + 1).filter((event) => event.streamId === streamId);
  }
}
