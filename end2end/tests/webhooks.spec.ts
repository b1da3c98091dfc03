import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { type AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { WebhooksPanel } from '../pages/webhooks-panel';
import { newUsername, signUp } from '../support/accounts';
import { visit } from '../support/visit';

/** A webhook receiver on loopback (the test server allows private addresses for it). */
async function receiver() {
  const got: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      got.push({ headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => server.close() };
}

/** Node's own HMAC-SHA256 check of `X-OnAir-Signature` (t=…,v1=…) over the body. */
function genuine(secret: string, header: string, body: Buffer): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2)));
  const mac = createHmac('sha256', secret).update(`${parts.t}.`).update(body).digest();
  const claimed = Buffer.from(parts.v1 ?? '', 'hex');
  return claimed.length === mac.length && timingSafeEqual(claimed, mac);
}

test('webhooks: the studio adds a hook, sends it a signed test event and shows the delivery', async ({ page }) => {
  const hook = await receiver();
  try {
    await signUp(page, newUsername('wh'));
    await visit(page, '/studio');
    const panel = new WebhooksPanel(page);
    const secret = await panel.addHook(hook.url);
    await expect(panel.hooks).toContainText(hook.url);
    await panel.sendTest();
    await expect.poll(() => hook.got.length).toBe(1);
    const [request] = hook.got;
    expect(request.headers['x-onair-event']).toBe('test');
    expect(genuine(secret, String(request.headers['x-onair-signature']), request.body)).toBe(true);
    expect(JSON.parse(request.body.toString()).event).toBe('test');
    // The log lists the attempt with the receiver's answer (reopened to read it again).
    await expect(async () => {
      await panel.hooks.first().getByTestId('webhook-log').click();
      await panel.hooks.first().getByTestId('webhook-log').click();
      await expect(panel.deliveries.first()).toContainText('test · try 1 · 204', { timeout: 1000 });
    }).toPass({ timeout: 15_000 });
  } finally {
    hook.close();
  }
});

test('webhooks: an address that cannot be a hook is refused with a message saying what to change', async ({ page }) => {
  await signUp(page, newUsername('wp'));
  await visit(page, '/studio');
  const panel = new WebhooksPanel(page);
  await panel.section.locator('summary').click();
  await panel.url.fill('ftp://example.org/hook');
  await panel.add.click();
  await expect(panel.error).toContainText('https://');
});
