/** Physical tables each run in flight reads or wrote: kept from the sweep and pruning until the run ends. */
export class OutputHolds {
  private readonly byRun = new Map<string, Set<string>>();

  /** The tables `runId` holds (created on first use: a run begins holding nothing). */
  of(runId: string): Set<string> {
    let hold = this.byRun.get(runId);
    if (!hold) this.byRun.set(runId, (hold = new Set()));
    return hold;
  }

  /** The run ended: its tables are no longer held by it. */
  release(runId: string): void {
    this.byRun.delete(runId);
  }

  /** No run holds `physical` any more (a discarded attempt's table). */
  forget(physical: string): void {
    for (const hold of this.byRun.values()) hold.delete(physical);
  }

  isHeld(physical: string): boolean {
    for (const hold of this.byRun.values()) if (hold.has(physical)) return true;
    return false;
  }
}
