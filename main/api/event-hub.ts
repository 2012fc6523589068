import type { EventName } from './contract.ts';

/** Pushes one contract event to a listener. */
export type EmitEvent = (event: EventName, payload: unknown) => void;

/** One project's events fanned out to every transport listening (the window over IPC, browsers over WebSocket). */
export class EventHub {
  private readonly listeners = new Set<EmitEvent>();

  /** Sends the event to every listener; bound, so it can be handed around as a function. */
  readonly emit: EmitEvent = (event, payload) => {
    for (const listener of this.listeners) listener(event, payload);
  };

  /** Adds a listener; returns the function that removes it. */
  listen(listener: EmitEvent): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
