/**
 * One counter over the events this window hears (runs starting, pipelines changing), so a view read from disk can be
 * ordered against a run: a view asked for before a run started describes what that run read.
 */
let heard = 0;

/** Counts an event; returns its number. */
export function countEvent(): number {
  return ++heard;
}

/** The number of the latest event heard. */
export function eventsHeard(): number {
  return heard;
}
