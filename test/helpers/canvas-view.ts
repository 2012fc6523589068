import type { Page } from 'playwright-core';

/**
 * Drags the canvas until a block's node sits in its middle, as a user pans to a block out of view. The canvas keeps
 * node text readable (it never zooms out below 11 px text), so a big pipeline does not fit at once.
 */
export async function revealNode(page: Page, blockId: string): Promise<void> {
  await page.getByRole('button', { name: blockId, exact: true }).waitFor();
  const drag = await page.evaluate((id) => {
    const node = [...document.querySelectorAll<HTMLElement>('.react-flow__node')].find((el) => el.dataset['id'] === id);
    const pane = node?.closest('.react-flow')?.querySelector('.react-flow__pane');
    if (!node || !pane) return null;
    const box = pane.getBoundingClientRect();
    const target = node.getBoundingClientRect();
    // Grab the canvas where nothing lies on it (no node, edge or tool), or the drag would move that instead.
    for (let y = box.top + 20; y < box.bottom - 20; y += 12) {
      for (let x = box.left + 20; x < box.right - 20; x += 12) {
        if (document.elementFromPoint(x, y) !== pane) continue;
        return {
          x,
          y,
          dx: box.left + box.width / 2 - (target.left + target.width / 2),
          dy: box.top + box.height / 2 - (target.top + target.height / 2),
        };
      }
    }
    return null;
  }, blockId);
  if (!drag) throw new Error(`no node ${blockId} on the canvas, or no free spot to drag the canvas by`);
  await page.mouse.move(drag.x, drag.y);
  await page.mouse.down();
  await page.mouse.move(drag.x + drag.dx, drag.y + drag.dy, { steps: 6 });
  await page.mouse.up();
}
