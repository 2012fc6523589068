/**
 * Keeps a hand-written file's formatting through a re-serialisation. The `yaml` Document API keeps comments and key
 * order, but printing it reflows what it does not model (a folded `>` description joined, `{ a: b }` → `{a: b}`).
 * So the edit is carried over as a line patch instead: a three-way merge whose base is the untouched file printed
 * the same way, "ours" is the file as written and "theirs" the edited print. Lines an edit did not touch stay
 * byte-for-byte as the user wrote them; a touched line that the printer also reformats takes the printed form.
 */
export function patchText(original: string, printedOriginal: string, printedEdited: string): string {
  if (printedEdited === printedOriginal) return original;
  const usesCrlf = original.includes('\r\n');
  const ours = (usesCrlf ? original.replaceAll('\r\n', '\n') : original).split('\n');
  const base = printedOriginal.split('\n');
  const theirs = printedEdited.split('\n');
  const merged = mergeLines(base, ours, theirs).join('\n');
  return usesCrlf ? merged.replaceAll('\n', '\r\n') : merged;
}

function mergeLines(base: string[], ours: string[], theirs: string[]): string[] {
  const inOurs = matchLines(base, ours);
  const inTheirs = matchLines(base, theirs);
  const out: string[] = [];
  let b = 0;
  let o = 0;
  let t = 0;
  while (b < base.length || o < ours.length || t < theirs.length) {
    // 1. The next base line both sides kept: everything before it is one region.
    let sync = b;
    while (sync < base.length && (inOurs[sync] === -1 || inTheirs[sync] === -1)) sync++;
    const oursEnd = sync < base.length ? (inOurs[sync] ?? ours.length) : ours.length;
    const theirsEnd = sync < base.length ? (inTheirs[sync] ?? theirs.length) : theirs.length;
    if (sync === b && oursEnd === o && theirsEnd === t) {
      // 2. A line untouched on both sides: the user's text.
      out.push(ours[o] ?? '');
      b++;
      o++;
      t++;
      continue;
    }
    // 3. A region: the edit's lines where the edit changed something, else the user's.
    const baseRegion = base.slice(b, sync);
    const theirsRegion = theirs.slice(t, theirsEnd);
    if (isSame(baseRegion, theirsRegion)) out.push(...ours.slice(o, oursEnd));
    else if (sync - b === oursEnd - o) out.push(...lineForLine({ b, o, t }, theirsEnd, ours, theirs, inTheirs));
    else out.push(...theirsRegion);
    b = sync;
    o = oursEnd;
    t = theirsEnd;
  }
  return out;
}

/**
 * A region the printer reformatted line for line (the user's `{ a: b }` is the printed `{a: b}`) where the edit
 * inserted or removed lines: each line the edit kept is the user's line at the same place, the rest the edit's.
 */
function lineForLine(
  start: { b: number; o: number; t: number },
  theirsEnd: number,
  ours: string[],
  theirs: string[],
  inTheirs: Int32Array,
): string[] {
  const baseOf = new Map<number, number>();
  for (let i = start.b; i < inTheirs.length; i++) {
    const j = inTheirs[i] ?? -1;
    if (j >= theirsEnd) break;
    if (j >= start.t) baseOf.set(j, i);
  }
  const out: string[] = [];
  for (let j = start.t; j < theirsEnd; j++) {
    const i = baseOf.get(j);
    out.push(i === undefined ? (theirs[j] ?? '') : (ours[start.o + (i - start.b)] ?? ''));
  }
  return out;
}

function isSame(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

/**
 * For each line of `a`, the index of the line of `b` it is matched with in a longest common subsequence, or -1
 * (Myers' O((N+M)·D) diff: pipeline files differ in a few lines, so D stays small).
 */
export function matchLines(a: string[], b: string[]): Int32Array {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0));
      let x = down ? (v[offset + k + 1] ?? 0) : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  return backtrack(trace, v, a, b, offset);
}

function backtrack(trace: Int32Array[], last: Int32Array, a: string[], b: string[], offset: number): Int32Array {
  const match = new Int32Array(a.length).fill(-1);
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    // trace[d] is V before round d; the V after round d is trace[d + 1] (or `last` for the final round).
    const k = x - y;
    const before = trace[d] ?? last;
    const down = k === -d || (k !== d && (before[offset + k - 1] ?? 0) < (before[offset + k + 1] ?? 0));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (before[offset + prevK] ?? 0);
    const prevY = prevX - prevK;
    const startX = d === 0 ? 0 : down ? prevX : prevX + 1;
    // The diagonal of round d: matched lines.
    while (x > startX && y > startX - k) {
      x--;
      y--;
      match[x] = y;
    }
    if (d > 0) {
      x = prevX;
      y = prevY;
    }
  }
  return match;
}
