/**
 * The one registry of error codes the relay answers with. Codes are stable:
 * clients and scripts match on them, so never rename one; add new ones instead.
 * `status` is the HTTP status the error handler answers with.
 */
export const ERROR_CODES = {
  INVALID_JSON: { status: 400, description: 'The body is not valid JSON.' },
  INVALID_REQUEST: { status: 400, description: 'The request does not have the expected shape.' },
  MISSING_FIELD: { status: 400, description: 'A required field is missing or empty.' },
  FIELD_TOO_LONG: { status: 400, description: 'A field is longer than its limit.' },
  INVALID_FIELD: { status: 400, description: 'A field has a value outside its allowed set or format.' },
  INVALID_SERVER_URI: { status: 400, description: 'server_uri is not an absolute http(s) URL, nor tunnel://<name>[/path].' },
  DESTINATION_NOT_ALLOWED: { status: 400, description: 'server_uri does not start with any prefix of RELAY_ALLOWED_DESTINATIONS.' },
  DESTINATION_BLOCKED: { status: 400, description: 'server_uri points where the relay never sends: a cloud metadata address, or with RELAY_BLOCK_PRIVATE_DESTINATIONS a non-public address or a URL with credentials.' },
  INVALID_PUSH: { status: 400, description: 'The push body is not a WeChat message the relay can read.' },
  XML_NOT_ALLOWED: { status: 400, description: 'The XML carries a DOCTYPE, entity or processing instruction, or nests too deep.' },
  MISSING_TRACE_ID: { status: 400, description: 'A push of an id-keyed event carries no id.' },
  INVALID_CIPHERTEXT: { status: 400, description: 'The push\'s Encrypt field does not decrypt to a WeChat message (bad base64, length, padding or layout).' },
  APPID_MISMATCH: { status: 400, description: 'The encrypted push was made for another appid than the app of this URL.' },
  UNAUTHORIZED: { status: 401, description: 'The API key is missing or wrong.' },
  SIGNATURE_INVALID: { status: 401, description: 'The WeChat signature does not match the configured token.' },
  ENCRYPTION_REQUIRED: { status: 401, description: 'The app is in compatible or safe mode but the push is not encrypted.' },
  PUSH_TIMESTAMP_STALE: { status: 401, description: 'The plain-mode push\'s timestamp is further from the relay\'s clock than RELAY_PUSH_TIMESTAMP_WINDOW_S: a signed URL must not stay valid forever (or a clock is off).' },
  TOKEN_NOT_CONFIGURED: { status: 403, description: 'The app has no token, so its pushes cannot be verified: set WECHAT_TOKEN (or the app\'s token); RELAY_ACCEPT_UNSIGNED_PUSHES=true admits unsigned pushes from loopback senders, for local testing only.' },
  FORBIDDEN: { status: 403, description: 'The caller may not use this API (loopback only without RELAY_API_KEYS).' },
  CROSS_ORIGIN_REFUSED: { status: 403, description: 'A change sent with browser (Basic) credentials came from another site: only the relay\'s own pages may send it.' },
  NOT_FOUND: { status: 404, description: 'No such resource.' },
  APP_NOT_CONFIGURED: { status: 404, description: 'No mini program with this appid is configured.' },
  TRACE_CONFLICT: { status: 409, description: 'The trace_id is already registered to another server_uri.' },
  NOTHING_TO_REPLAY: { status: 409, description: 'The trace is still pending: no verdict arrived and it has not timed out.' },
  DELIVERY_IN_PROGRESS: { status: 409, description: 'The trace\'s verdict is being delivered; replay it once that finishes.' },
  BODY_TOO_LARGE: { status: 413, description: 'The body exceeds the size limit of this endpoint.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The content type is not accepted by this endpoint.' },
  PUSH_FORMAT_MISMATCH: { status: 415, description: 'The push is JSON for an app configured for XML, or the reverse.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after the time in Retry-After.' },
  STORAGE_UNAVAILABLE: { status: 503, description: 'The database did not answer in time; nothing was acknowledged.' },
  INVALID_TUNNEL_NAME: { status: 400, description: 'A tunnel name is not 1 to 63 of a-z, 0-9 and -.' },
  TUNNEL_NAME_FORBIDDEN: { status: 403, description: 'The API key may not open a tunnel of this name.' },
  UPGRADE_REQUIRED: { status: 426, description: 'This endpoint speaks WebSocket only (callback-relay listen).' },
  API_PROXY_DISABLED: { status: 404, description: 'The app is not configured, or has no AppSecret (WECHAT_APP_SECRET or the app\'s appSecret): the relay holds no token for it.' },
  WECHAT_API_UNREACHABLE: { status: 502, description: 'WeChat\'s server API could not be reached (connection refused or reset); nothing was registered.' },
  ACCESS_TOKEN_UNAVAILABLE: { status: 502, description: 'The relay holds no valid access_token for the app: its renewal failed (see /readyz); WeChat was not called.' },
  WECHAT_API_TIMEOUT: { status: 504, description: 'WeChat\'s server API did not answer in time; nothing was registered.' },
  INTERNAL: { status: 500, description: 'The relay failed; the log has the details.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
