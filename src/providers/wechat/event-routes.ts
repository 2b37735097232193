import type { EventRoute } from '../../config/config-schema.ts';
import { fieldText, type PushMessage } from './push-message.ts';
import type { RouteTarget } from '../../model/route-target.ts';


/**
 * Where an event that carries no registered id goes: the first rule whose
 * `msgType` and `event` match (an omitted one matches anything), to each of its
 * destinations. No match → no targets: the event is stored and counted as unmatched.
 */
export function routeEvent(routes: readonly EventRoute[] | undefined, message: PushMessage): RouteTarget[] {
  const msgType = fieldText(message.fields, 'MsgType');
  const event = fieldText(message.fields, 'Event');
  const rule = routes?.find((item) => (item.msgType === undefined || item.msgType === msgType) && (item.event === undefined || item.event === event));
  if (!rule) return [];
  return [...new Set(rule.destinations)].map((destination) => ({ route: rule.name, destination }));
}
