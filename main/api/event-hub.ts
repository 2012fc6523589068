import type { EventName } from './contract.ts';
import type { EmitEvent } from './api-types.ts';

/** Hears every contract event; a transport passes the payload on as it is. */
export type EventListener = (event: EventName, payload: unknown) => void;

/** One project's events fanned out to every transport listening (the window over IPC, browsers over WebSocket). */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  /** Sends the event, its payload typed by the contract, to every listener; bound, so it can be handed around. */
  readonly emit: EmitEvent = (event, payload) => {
    for (const listener of this.listeners) listener(event, payload);
  };

  /** Adds a listener; returns the function that removes it. */
  listen(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
