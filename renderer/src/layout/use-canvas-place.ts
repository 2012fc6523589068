import { useCallback, useState } from 'react';

/** Where the canvas sits while a block is open: above the block (the default), beside it on the left, or hidden. */
export type CanvasPlace = 'above' | 'beside' | 'hidden';

const KEY = 'pipewright.layout.canvas-place';
const PLACES: readonly CanvasPlace[] = ['above', 'beside', 'hidden'];

/** The canvas's place, kept across reloads; `wasChosen` tells whether the user ever picked one. */
export function useCanvasPlace(): { place: CanvasPlace; wasChosen: boolean; setPlace(place: CanvasPlace): void } {
  const [stored, setStored] = useState<CanvasPlace | null>(readPlace);
  const setPlace = useCallback((place: CanvasPlace) => {
    setStored(place);
    try {
      window.localStorage.setItem(KEY, place);
    } catch (error) {
      // A disabled storage only costs the choice after a reload.
      console.warn('canvas place not saved', error);
    }
  }, []);
  return { place: stored ?? 'above', wasChosen: stored !== null, setPlace };
}

function readPlace(): CanvasPlace | null {
  try {
    const value = window.localStorage.getItem(KEY);
    return PLACES.find((p) => p === value) ?? null;
  } catch (error) {
    console.warn('canvas place not readable', error);
    return null;
  }
}
