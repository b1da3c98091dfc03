import { type Page } from '@playwright/test';

/**
 * Waits until the page has hydrated (the WASM client marks `<html data-hydrated>`), so what the
 * test does next runs through the live page rather than racing the server-rendered HTML. The
 * server-rendered forms work on their own too: the tests with JavaScript turned off cover that.
 */
export async function hydrated(page: Page) {
  await page.locator('html[data-hydrated]').waitFor({ state: 'attached', timeout: 30_000 });
}

/** Opens `path` and waits until the page has hydrated. */
export async function visit(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}
