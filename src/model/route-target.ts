/** One destination an event without a registered id is sent to, and the routing rule that chose it. */
export interface RouteTarget {
  route: string;
  destination: string;
}
