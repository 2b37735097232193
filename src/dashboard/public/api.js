// Reads from the relay's admin API. Same origin: the browser sends the
// credentials it was challenged for (or none, for loopback).

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function getJson(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(name, value);
  const url = query.size > 0 ? `${path}?${query}` : path;
  return request(url, { headers: { accept: 'application/json' } });
}

export async function postJson(path, body = {}) {
  return request(path, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function request(url, init) {
  let response;
  try {
    response = await fetch(url, { ...init, credentials: 'same-origin' });
  } catch (error) {
    throw new ApiError(0, 'NETWORK', error instanceof Error ? error.message : String(error));
  }
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = body && body.error ? body.error : { code: `HTTP_${response.status}`, message: text.slice(0, 200) || response.statusText };
    throw new ApiError(response.status, String(error.code), String(error.message));
  }
  return body;
}
