// Types only: what each contract method resolves to and what each event carries, for the renderer's client
// (imported with `import type`, so no engine code reaches the renderer bundle).
import type { Alert } from '../alerts/alert-message.ts';
import type { RunEvent } from '../model/run-events.ts';
import type { PipelineChange } from '../runtime/watch-project.ts';
import type { RunQueueEvent } from '../runtime/run-launcher.ts';
import type { BackfillProgressEvent } from './backfill-handlers.ts';
import type { SchedulesStatus } from './schedules-handlers.ts';
import type { EventName, MethodName } from './contract.ts';
import type { createApiHandlers } from './handlers.ts';

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

/** Fails to compile when the contract gains an event this map does not type (or the map names one it lacks). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type IsTrue<T extends true> = T;
export type EventPayloadsCoverEvents = IsTrue<Same<keyof EventPayloads, EventName>>;
