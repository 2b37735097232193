import { Pool } from 'undici';

/**
 * `connections` loops, each sending its next request when the last is answered,
 * for `durationMs` or until `count` requests: a light client (undici), so the
 * relay, not the load generator, sets the pace. Returns how many were answered.
 */
export async function closedLoop(url: string, options: { path: string; body: (index: number) => string; connections: number; durationMs?: number; count?: number }): Promise<number> {
  const pool = new Pool(url, { connections: options.connections, pipelining: 1 });
  const stopAt = options.durationMs === undefined ? Infinity : performance.now() + options.durationMs;
  let next = 0;
  let done = 0;
  const loop = async () => {
    while (performance.now() < stopAt && (options.count === undefined || next < options.count)) {
      const index = next++;
      const response = await pool.request({ method: 'POST', path: options.path, headers: { 'content-type': 'application/json' }, body: options.body(index) });
      await response.body.dump();
      if (response.statusCode >= 300) throw new Error(`${options.path} answered ${response.statusCode}`);
      done += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: options.connections }, loop));
  } finally {
    await pool.close();
  }
  return done;
}
