// Peak RSS of a whole process tree (a process and every descendant, summed), sampled from /proc. /usr/bin/time's %M
// is the largest single process only; a run that starts helpers (Python, psql, a re-executed Node) needs the sum.
import { readdirSync, readFileSync } from 'node:fs';

const PAGE_BYTES = 4096;

/** Samples every `everyMs` until stopped; `stop()` returns the peak sum in MB and the most processes seen at once. */
export function sampleTreeRss(rootPid: number, everyMs = 200): { stop(): { peakMb: number; processes: number } } {
  let peakBytes = 0;
  let processes = 0;
  const sample = () => {
    const tree = descendantsOf(rootPid);
    const bytes = tree.reduce((sum, pid) => sum + rssBytes(pid), 0);
    peakBytes = Math.max(peakBytes, bytes);
    processes = Math.max(processes, tree.length);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return { peakMb: peakBytes / 2 ** 20, processes };
    },
  };
}

/** The root and all its descendants alive now (empty off Linux, where /proc is missing). */
function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  for (const name of pids) {
    const ppid = parentOf(Number(name));
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

function parentOf(pid: number): number | undefined {
  const stat = readProc(pid, 'stat');
  // The command name (field 2) may hold spaces and parentheses: the fields after the last ')' are fixed.
  return stat === undefined ? undefined : Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function rssBytes(pid: number): number {
  const statm = readProc(pid, 'statm');
  return statm === undefined ? 0 : Number(statm.split(' ')[1]) * PAGE_BYTES;
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch (error) {
    // A process that exited between the listing and this read: it counts for nothing.
    if (['ENOENT', 'ESRCH'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
}
