/**
 * Type-level tests of the API contract, checked by `npm run typecheck` (tsc reads test/; nothing here runs). Each
 * `@ts-expect-error` marks a call the contract must refuse: were params, results or payloads to loosen to `any` or
 * `unknown`, the line would compile, the directive would be unused, and tsc would fail.
 */
import type { ApiClient } from '../renderer/src/api/api-client.ts';
import type { EmitEvent, HandlersOf, MethodArgs } from '../main/api/api-types.ts';

declare const api: ApiClient;
declare const emit: EmitEvent;

export async function paramsComeFromTheZodSchemas(): Promise<void> {
  await api.call('runs.get', { runId: 'r1' });
  // Defaults may be left out by a caller (`scope`, `variables`, `via` have them)…
  await api.call('runs.start', { pipelineId: 'p' });
  // @ts-expect-error runId is required
  await api.call('runs.get', {});
  // @ts-expect-error runId is a string
  await api.call('runs.get', { runId: 7 });
  // @ts-expect-error the schema is strict: no other fields
  await api.call('runs.get', { runId: 'r1', pipelineId: 'p' });
  // @ts-expect-error a scope kind the contract does not have
  await api.call('runs.start', { pipelineId: 'p', scope: { kind: 'everything' } });
  // @ts-expect-error not a method of the contract
  await api.call('runs.explode', {});
}

export function handlersGetParsedParams(args: MethodArgs<'runs.list'>): number {
  // …and a handler always has them filled in.
  return args.limit + args.offset;
}

export async function resultsComeFromTheHandlers(): Promise<void> {
  const { runId, queued } = await api.call('runs.start', { pipelineId: 'p' });
  const id: string = runId;
  const isQueued: true | undefined = queued;
  const { run } = await api.call('runs.get', { runId: id });
  // @ts-expect-error a run may be missing: null until checked
  const status: string = run.status;
  if (run) {
    const blocks: string[] = run.blocks.map((b) => b.blockId);
    // @ts-expect-error rowsOut is a number or null, not text
    const rows: string = run.blocks[0]?.rowsOut ?? '';
    void [blocks, rows];
  }
  const { cancelling } = await api.call('runs.cancel', { runId: id });
  // @ts-expect-error cancelling is a boolean
  const text: string = cancelling;
  void [isQueued, status, text];
}

export function eventPayloadsComeFromOneMap(): void {
  api.on('runs.event', (event) => {
    if (event.type === 'run.finished') {
      const status: 'succeeded' | 'failed' | 'cancelled' = event.status;
      void status;
    }
  });
  api.on('pipelines.changed', (change) => {
    const version: string = change.version;
    // @ts-expect-error pipelines.changed carries no runId
    void change.runId;
    void version;
  });
  // @ts-expect-error not an event of the contract
  api.on('runs.exploded', () => undefined);
  emit('runs.queue', { pipelineId: 'p', runId: 'r1', queued: true });
  // @ts-expect-error the payload must be a RunQueueEvent
  emit('runs.queue', { pipelineId: 'p' });
}

export const aHandlerMustTakeItsSchemasParams = {
  // @ts-expect-error runs.get's runId is a string
  'runs.get': async (params: { runId: number }) => params,
} satisfies HandlersOf<'runs.get'>;
