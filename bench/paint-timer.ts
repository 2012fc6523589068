import type { Page } from 'playwright-core';

/**
 * In the page: on the next `event` (a real one, from Playwright), start the clock; stop it at the first animation
 * frame after `selector` has text. The elapsed time lands in `window.__pwElapsed` (read it with readTimer).
 * `watchAttributes`: also look again when an attribute changes (a cell that drops its loading class).
 */
export async function armTimer(page: Page, event: 'pointerdown' | 'keydown', selector: string, watchAttributes = false): Promise<void> {
  await page.evaluate(
    ({ event, selector, watchAttributes }) => {
      const w = window as { __pwElapsed?: number };
      delete w.__pwElapsed;
      document.addEventListener(
        event,
        () => {
          const start = performance.now();
          // The DOM change is seen at once; the next animation frame is when it is on screen.
          const observer = new MutationObserver(() => {
            if (!document.querySelector(selector)?.textContent) return;
            observer.disconnect();
            requestAnimationFrame(() => (w.__pwElapsed = performance.now() - start));
          });
          observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: watchAttributes });
        },
        { capture: true, once: true },
      );
    },
    { event, selector, watchAttributes },
  );
}

/** The time armTimer measured, once it is there (30 s at most). */
export async function readTimer(page: Page): Promise<number> {
  const handle = await page.waitForFunction(() => (window as { __pwElapsed?: number }).__pwElapsed, undefined, { timeout: 30_000 });
  return Number(await handle.jsonValue());
}
