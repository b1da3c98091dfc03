import { execFileSync } from 'node:child_process';

/** The pid of the process listening on `port` (the OnAir server under test). */
export function serverPid(port: number): number {
  const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
  const match = out.match(/pid=(\d+)/);
  if (!match) throw new Error(`nothing listens on port ${port}: ${out}`);
  return Number(match[1]);
}

/** Kills (SIGKILL) the ffmpeg children of the server on `port`; returns how many. */
export function killEncoders(port: number): number {
  const pids = execFileSync('pgrep', ['-P', String(serverPid(port)), 'ffmpeg'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map(Number);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids.length;
}
