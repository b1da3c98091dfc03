import { test } from '@playwright/test';
import { watchTheDemo } from './watch';

test.describe('WebKitGTK (WebDriver)', () => {
  test('plays the demo live and keeps playing', async ({ baseURL }) => {
    await watchTheDemo('webkit', baseURL!);
  });
});
