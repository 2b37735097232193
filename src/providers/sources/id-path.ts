/**
 * The value at a dotted path: names step into objects, numbers into arrays, and a step
 * that meets a string holding JSON goes on inside it (a provider that nests its result
 * as a JSON text in a field). Only strings and numbers are ids.
 */
export function valueAtPath(document: unknown, path: string): string | undefined {
  let current: unknown = document;
  for (const step of path.split('.')) {
    if (typeof current === 'string') current = parseJson(current);
    if (Array.isArray(current)) {
      current = /^\d+$/.test(step) ? current[Number(step)] : undefined;
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, step)) {
      current = (current as Record<string, unknown>)[step];
    } else {
      return undefined;
    }
  }
  if (typeof current === 'string') return current === '' ? undefined : current;
  return typeof current === 'number' && Number.isFinite(current) ? String(current) : undefined;
}

function parseJson(text: string): unknown {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
