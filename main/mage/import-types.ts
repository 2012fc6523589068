/** What `pipewright import mage` did with one thing of the Mage project, for IMPORT_REPORT.md. */
export type ImportOutcome = 'native' | 'python' | 'attention' | 'skipped';

export interface ReportEntry {
  /** The Pipewright pipeline id; absent for project-wide entries (connections, triggers of a missing pipeline). */
  pipeline?: string;
  /** The Mage block uuid (or connection/trigger name) the entry is about. */
  subject: string;
  outcome: ImportOutcome;
  reason: string;
  /** Where in the Mage project, relative to it. */
  file?: string;
  line?: number;
}

/** One file the import writes, relative to the target folder. */
export interface OutputFile {
  rel: string;
  text: string;
}

/** Collects report entries and output files while the import runs; written only at the end. */
export class ImportLog {
  readonly entries: ReportEntry[] = [];
  readonly files = new Map<string, string>();
  /** Environment variables the imported connections read, with what each must hold. */
  readonly envVars = new Map<string, string>();

  add(entry: ReportEntry): void {
    this.entries.push(entry);
  }

  write(rel: string, text: string): void {
    this.files.set(rel, text);
  }
}

/** A Pipewright identifier from a Mage uuid (`load-taxi` → `load_taxi`, `2021` → `b_2021`). */
export function safeId(uuid: string): string {
  const id = uuid.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 63);
  return /^[A-Za-z_]/.test(id) ? id : `b_${id}`.slice(0, 63);
}

/** The 1-based line of the first match of `pattern` in `text`, if any. */
export function lineOf(text: string, pattern: RegExp | string): number | undefined {
  const index = typeof pattern === 'string' ? text.indexOf(pattern) : text.search(pattern);
  return index < 0 ? undefined : text.slice(0, index).split('\n').length;
}
