// Opens a report page in Debian's chromium (playwright-core drives it; no downloaded browser):
// collects console errors and any network request, reads the tables back, takes a screenshot.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export interface PageCheck {
  consoleErrors: string[];
  /** Every request the page made other than itself (a self-contained page makes none). */
  requests: string[];
  /** Text of each row of each table, by table id. */
  tables: Record<string, string[][]>;
  svgCount: number;
}

export async function checkInBrowser(htmlFile: string, screenshot?: string): Promise<PageCheck> {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'servebench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await context.newPage();
    const url = pathToFileURL(htmlFile).href;
    const out: PageCheck = { consoleErrors: [], requests: [], tables: {}, svgCount: 0 };
    page.on('console', (m) => {
      if (m.type() === 'error') out.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => out.consoleErrors.push(e.message));
    page.on('request', (r) => {
      if (r.url() !== url) out.requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    // Runs in the page (a string: the runner compiles without the DOM library).
    out.tables = (await page.evaluate(`(() => {
      const t = {};
      for (const table of document.querySelectorAll('table[id]'))
        t[table.id] = [...table.querySelectorAll('tbody tr')].map((tr) =>
          [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''));
      return t;
    })()`)) as Record<string, string[][]>;
    out.svgCount = await page.locator('svg').count();
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return out;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
