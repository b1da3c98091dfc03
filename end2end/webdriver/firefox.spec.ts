import { test } from '@playwright/test';
import { SlowLink } from '../support/slow-link';
import { followsASlowLink, hearsSoundAlone, watchTheDemo } from './watch';

test.describe('Firefox ESR (WebDriver)', () => {
  test('plays the demo live and keeps playing', async ({ baseURL }) => {
    await watchTheDemo('firefox', baseURL!);
  });

  test('a viewer whose link slows is moved down a rung and back up, playing all along', async ({ baseURL }) => {
    const why = SlowLink.unavailable();
    test.skip(why !== null, `a slow link cannot be made here: ${why}`);
    await followsASlowLink('firefox', baseURL!);
  });

  test('a stream of sound alone plays under its poster', async ({ baseURL, page }) => {
    await hearsSoundAlone('firefox', baseURL!, page);
  });
});
