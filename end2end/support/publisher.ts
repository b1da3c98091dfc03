import { type ChildProcess, spawn } from 'node:child_process';

/**
 * ffmpeg publishing a test pattern with a tone over RTMP, as OBS would: H.264 with a keyframe
 * every second, AAC, FLV, in real time. No shell: the URL is one argument.
 */
export function publish(url: string, seconds = 120): ChildProcess {
  return publishAt(url, { size: '640x360', kbps: 800, seconds, keyframeSecs: 1 });
}

/** As {@link publish}, at a given picture size and video bitrate (kbit/s, held near constant, as
 * OBS's CBR), with a keyframe every `keyframeSecs` (2, as the big sites ask of OBS). */
export function publishAt(
  url: string,
  { size, kbps, seconds, keyframeSecs = 2 }: { size: string; kbps: number; seconds: number; keyframeSecs?: number },
): ChildProcess {
  const gop = String(30 * keyframeSecs);
  return spawn(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error',
      '-re', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`,
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
      '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
      '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
      '-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps}k`,
      '-c:a', 'aac', '-b:a', '64k', '-f', 'flv', url,
    ],
    { stdio: 'ignore' },
  );
}

/** ffmpeg publishing a tone and no picture over RTMP, in real time, as a radio show's software
 * does: AAC in FLV, its metadata naming no video. */
export function publishSoundAlone(url: string, seconds = 120): ChildProcess {
  return spawn(
    'ffmpeg',
    [
      '-hide_banner', '-loglevel', 'error',
      '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:beep_factor=4:sample_rate=48000',
      '-t', String(seconds), '-vn',
      '-c:a', 'aac', '-b:a', '96k', '-f', 'flv', url,
    ],
    { stdio: 'ignore' },
  );
}

/** Resolves with the exit code once `child` has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}
