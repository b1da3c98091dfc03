import { expect, test } from '@playwright/test';
import { visit } from '../support/visit';

type Shown = { title: string; body: string; tag: string; url: string };

test('the service worker shows a pushed "went live" notice as a notification, one per channel', async ({
  page,
  context,
}) => {
  await context.grantPermissions(['notifications']);
  await visit(page, '/');
  const scope = new URL('/', page.url()).href;
  const cdp = await context.newCDPSession(page);
  const registered = new Promise<string>((resolve) => {
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const ours = registrations.find((r: { scopeURL: string; isDeleted: boolean }) => r.scopeURL === scope && !r.isDeleted);
      if (ours) resolve(ours.registrationId);
    });
  });
  await cdp.send('ServiceWorker.enable');
  // As the page does once notifications are allowed.
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
  });
  const registrationId = await registered;
  const origin = new URL(page.url()).origin;
  const deliver = (notice: object) =>
    cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId, data: JSON.stringify(notice) });
  const shown = () =>
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      const all = await registration.getNotifications();
      return all.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: n.data?.url }));
    });

  // One push at a time, as a push service delivers them: each is awaited on screen before the
  // next. DevTools sometimes loses a push in Chromium all the same (two in the same instant lose
  // the second; CI once lost one alone): one not shown within 5 s is delivered again, as a push
  // service retries. A notice of the same tag replaces the last, so a second delivery is harmless.
  const deliverUntil = (notice: object, check: () => Promise<void>) =>
    expect(async () => {
      await deliver(notice);
      await check();
    }).toPass({ intervals: [0], timeout: 30_000 });
  const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 5_000 });

  await deliverUntil({ title: 'ana is live', body: 'Speedrun night', url: '/watch/ana', tag: 'onair-live-ana' }, () =>
    poll(shown).toEqual([{ title: 'ana is live', body: 'Speedrun night', tag: 'onair-live-ana', url: '/watch/ana' }]),
  );
  // The same channel again replaces its notification; another adds one.
  await deliverUntil({ title: 'ana is live', body: 'Round two', url: '/watch/ana', tag: 'onair-live-ana' }, () =>
    poll(async () => (await shown()).map((n: Shown) => n.body)).toEqual(['Round two']),
  );
  await deliverUntil({ title: 'bo is live', body: 'Chill', url: '/watch/bo', tag: 'onair-live-bo' }, () =>
    poll(async () => (await shown()).sort((a: Shown, b: Shown) => a.tag.localeCompare(b.tag))).toEqual([
      { title: 'ana is live', body: 'Round two', tag: 'onair-live-ana', url: '/watch/ana' },
      { title: 'bo is live', body: 'Chill', tag: 'onair-live-bo', url: '/watch/bo' },
    ]),
  );
  // A message that is not ours is shown safely: a plain notice, never an address elsewhere.
  await deliverUntil({ title: 7, url: 'https://evil.example/' }, () =>
    poll(async () => (await shown()).find((n: Shown) => n.title === 'A channel you follow is live')?.url).toBe('/'),
  );
});
