import { useCallback, useEffect, useState } from 'react';

const STORAGE_PREFIX = 'pipewright.layout.';

/** The limits of one resizable panel, in CSS pixels. */
export interface PanelLimits {
  initial: number;
  min: number;
  max: number;
}

/** Keeps `size` within [min, max], rounded to whole pixels. */
export function clampSize(size: number, min: number, max: number): number {
  return Math.round(Math.min(Math.max(size, min), Math.max(min, max)));
}

/** A panel's size that survives reloads: read from localStorage under `key`, clamped, and written back on each change. */
export function usePanelSize(key: string, { initial, min, max }: PanelLimits): [number, (size: number) => void] {
  const [size, setRawSize] = useState(() => clampSize(readStored(key) ?? initial, min, max));
  useEffect(() => writeStored(key, size), [key, size]);
  const setSize = useCallback((next: number) => setRawSize(clampSize(next, min, max)), [min, max]);
  return [size, setSize];
}

function readStored(key: string): number | null {
  try {
    const value = Number(window.localStorage.getItem(STORAGE_PREFIX + key));
    return Number.isFinite(value) && value > 0 ? value : null;
  } catch (error) {
    // Storage can be off (private mode, a sandboxed page): the panel just starts at its default size.
    console.warn('panel size not readable', error);
    return null;
  }
}

function writeStored(key: string, size: number): void {
  try {
    window.localStorage.setItem(STORAGE_PREFIX + key, String(size));
  } catch (error) {
    // A full or disabled storage only costs the size after a reload.
    console.warn('panel size not saved', error);
  }
}
