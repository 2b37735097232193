/**
 * callback-relay's receiver SDK (`callback-relay/receiver`): verify and read the
 * requests the relay forwards to a business server, and register traces.
 */
export { verifyWebhookSignature, WebhookVerificationError, type VerifyOptions } from './verify-signature.ts';
export {
  parseForwardedEvent, ForwardedEventError,
  type ForwardedEvent, type MediaCheckResult, type MediaCheckDetail, type TimeoutNotice,
} from './forwarded-event.ts';
export { receiveForwarded, relayExpress, relayKoa, relayFastify, type ReceiverOptions, type FastifyReceiverOptions } from './middleware.ts';
export {
  RelayClient, RelayApiError, RelayUnreachableError,
  type RelayClientOptions, type AccessTokenAnswer, type RegisterInput, type Registration, type ReplayResult, type RedriveInput, type RedriveResult, type TraceState, type TraceAttempt, type TraceStatus, type TraceError,
} from './relay-client.ts';
