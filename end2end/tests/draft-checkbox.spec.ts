// The post form's "Save as a draft" checkbox must read as one control with its text at every width:
// the box at its own size, the text's first line starting right after it, both on one line. Checked
// by position, since a checkbox stretched across half the form still "works" for every other test.
import { expect, test } from '@playwright/test';

/** Phones, the two-column breakpoint (48rem), a small laptop, the usual desktop, a wide screen. */
const widths = [320, 390, 768, 1024, 1280, 1920];
/** The largest space between the box and its text: the CSS gap is 0.5rem (8 px). */
const largestGap = 16;

for (const width of widths) {
  test(`the draft checkbox sits right before the first line of its text at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await page.goto('/');

    const { box, firstLine } = await page.getByLabel(/Save as a draft/).evaluate((input) => {
      const text = [...(input.closest('label')?.childNodes ?? [])].find(
        (node) => node.nodeType === Node.TEXT_NODE && node.textContent?.trim(),
      );
      if (!text) throw new Error('the checkbox label has no text');
      const range = document.createRange();
      range.selectNodeContents(text);
      const toPlain = ({ left, right, top, bottom }: DOMRect) => ({ left, right, top, bottom });
      return { box: toPlain(input.getBoundingClientRect()), firstLine: toPlain(range.getClientRects()[0]) };
    });

    const boxWidth = box.right - box.left;
    const boxHeight = box.bottom - box.top;
    expect(boxWidth, 'the box keeps its own, square size').toBeLessThanOrEqual(boxHeight * 1.5);
    const gap = firstLine.left - box.right;
    expect(gap, 'the text starts right after the box').toBeGreaterThanOrEqual(0);
    expect(gap, 'the text starts right after the box').toBeLessThanOrEqual(largestGap);
    const boxMiddle = (box.top + box.bottom) / 2;
    expect(boxMiddle, 'the box is on the first line of the text').toBeGreaterThan(firstLine.top);
    expect(boxMiddle, 'the box is on the first line of the text').toBeLessThan(firstLine.bottom);
  });
}
