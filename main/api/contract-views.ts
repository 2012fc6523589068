/**
 * The shapes API methods and events carry, named for the renderer: it imports main/ only through the contract and
 * main/model/ (the layer lint in eslint.config.js holds it to that), so the handlers' own modules stay in main.
 */
export type { NewBlock, PipelineEdit } from '../project/pipeline-edits.ts';
export type { BlockRunRow, LogRow, RunDetail, RunSummary } from '../history/run-queries.ts';
export type { ChildCounts, ChildPage, ChildRunRow } from '../history/child-queries.ts';
export type { TriggerDescription } from '../orchestration/triggers.ts';
export type { ConnectionView, CredentialsView, FieldView } from '../connections/connections-file.ts';
export type { ConnectionTestResult } from '../connections/test-connection.ts';
export type { Alert } from '../alerts/alert-message.ts';
export type { BackfillProgressEvent, PlannedInterval } from './backfill-handlers.ts';
export type { SchedulesStatus } from './schedules-handlers.ts';
export type { RunQueueEvent } from '../runtime/run-launcher.ts';
