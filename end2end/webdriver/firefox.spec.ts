import { test } from '@playwright/test';
import { watchTheDemo } from './watch';

test.describe('Firefox ESR (WebDriver)', () => {
  test('plays the demo live and keeps playing', async ({ baseURL }) => {
    await watchTheDemo('firefox', baseURL!);
  });
});
