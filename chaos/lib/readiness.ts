import { request } from 'undici';

/** What the relay's /readyz says (`ready`, `degraded`, `unavailable`), or `no answer`. */
export async function readiness(relayUrl: string): Promise<string> {
  try {
    const response = await request(`${relayUrl}/readyz`, { headersTimeout: 3000, bodyTimeout: 3000 });
    return ((await response.body.json()) as { status?: string }).status ?? `HTTP ${response.statusCode}`;
  } catch {
    return 'no answer';
  }
}
