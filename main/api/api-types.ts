// Types only: what each contract method takes and resolves to, what each event carries, and a call's answer on the
// wire. Main's handlers, both transports and the renderer's client share them (the renderer with `import type`, so no
// engine code reaches its bundle).
import type { z } from 'zod';
import type { Alert } from '../alerts/alert-message.ts';
import type { ErrorShape } from '../model/errors.ts';
import type { RunEvent } from '../model/run-events.ts';
import type { PipelineChange } from '../runtime/watch-project.ts';
import type { RunQueueEvent } from '../runtime/run-launcher.ts';
import type { BackfillProgressEvent } from './backfill-handlers.ts';
import type { SchedulesStatus } from './schedules-handlers.ts';
import type { EventName, MethodName, methods } from './contract.ts';
import type { createApiHandlers } from './handlers.ts';

export type { MethodParams } from './contract.ts';

/** What the handler of method M receives: its params after the contract parsed them (defaults filled in). */
export type MethodArgs<M extends MethodName> = z.output<(typeof methods)[M]>;

/** Handlers for a set of methods, each taking its parsed params; `satisfies` this to have `p` typed from the schema. */
export type HandlersOf<M extends MethodName> = { [K in M]: (params: MethodArgs<K>) => Promise<unknown> };

/** What a method resolves to, typed from its handler (so a handler's change reaches every caller). */
export type MethodResult<M extends MethodName> = Awaited<ReturnType<ReturnType<typeof createApiHandlers>[M]>>;

/** The payload of each event of the contract. */
export interface EventPayloads {
  'runs.event': RunEvent;
  'runs.queue': RunQueueEvent;
  'pipelines.changed': PipelineChange;
  /** Raised by the transport, not the engine: nothing to carry. */
  'connection.restored': undefined;
  'alerts.raised': Alert;
  'backfills.progress': BackfillProgressEvent;
  'schedules.changed': SchedulesStatus;
}

/** One event as a transport carries it: its name and the payload that name promises. */
export type EventMessage = { [E in EventName]: { event: E; payload: EventPayloads[E] } }[EventName];

/** Pushes one event of the contract, its payload checked against EventPayloads. */
export type EmitEvent = <E extends EventName>(event: E, payload: EventPayloads[E]) => void;

/** A call's answer as every transport carries it (IPC, HTTP): errors travel as data, in one shape. */
export type CallReply<T = unknown> = { ok: true; result: T } | { ok: false; error: ErrorShape };

/** Fails to compile when the contract gains an event this map does not type (or the map names one it lacks). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type IsTrue<T extends true> = T;
export type EventPayloadsCoverEvents = IsTrue<Same<keyof EventPayloads, EventName>>;
