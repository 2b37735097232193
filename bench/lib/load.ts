import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

/** Sends POST pushes at fixed concurrency for `durationS`, each with the next trace id. */
export async function pushLoad(url: string, options: { connections: number; durationS: number; body: (index: number) => string; path?: string; query?: () => string; headers?: (body: string) => Record<string, string> }): Promise<LoadResult> {
  let index = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationS,
    requests: [{
      method: 'POST',
      setupRequest: (request) => {
        const body = options.body(index);
        index += 1;
        return { ...request, path: `${options.path ?? '/api/wechat'}${options.query ? `?${options.query()}` : ''}`, body, headers: { 'content-type': 'application/json', ...options.headers?.(body) } };
      },
    }],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}
