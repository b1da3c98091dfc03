import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { expect, test } from '@playwright/test';
import { StudioPage } from '../pages/studio-page';
import { newUsername, signUp } from '../support/accounts';

/** A free loopback port. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('restream: the studio adds a destination and shows it live while the channel is', async ({ page }) => {
  // A platform's ingest, as ffmpeg's RTMP listen mode (the test server allows loopback).
  const port = await freePort();
  const platform = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-listen', '1', '-f', 'flv',
    '-i', `rtmp://127.0.0.1:${port}/app/key`, '-c', 'copy', '-f', 'null', '-'], { stdio: 'ignore' });
  try {
    await signUp(page, newUsername('rs'));
    const studio = new StudioPage(page);
    await studio.open();
    const panel = page.getByTestId('restream');
    await panel.locator('summary').click();
    await panel.getByTestId('restream-preset').selectOption('Twitch');
    await expect(panel.getByTestId('restream-url')).toHaveValue('rtmp://live.twitch.tv/app');
    await panel.getByTestId('restream-url').fill(`rtmp://127.0.0.1:${port}/app`);
    await panel.getByTestId('restream-key').fill('live_12345_secretkey');
    await panel.getByTestId('add-restream').click();
    const destination = panel.getByTestId('destination');
    await expect(destination).toHaveAttribute('data-state', 'waiting');
    await expect(destination).toContainText('Twitch');
    await expect(destination).toContainText('…tkey');
    await expect(destination).not.toContainText('secret');

    await studio.goLive.click();
    await expect(destination).toHaveAttribute('data-state', 'live', { timeout: 20_000 });
    await expect(destination.getByTestId('restream-state')).toContainText(/live/);
    // Switched off while live, its push ends; the broadcast goes on.
    await destination.getByTestId('restream-on').uncheck();
    await expect(destination).toHaveAttribute('data-state', 'off');
    await studio.stop.click();
    await expect(studio.state).toHaveText('Offline', { timeout: 30_000 });
  } finally {
    platform.kill('SIGKILL');
  }
});
