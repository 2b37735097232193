/** The usage text of each command that main answers --help for without loading the command. */

export const START_USAGE = `Usage: callback-relay start

Runs the relay: the HTTP API on HOST:PORT (default 0.0.0.0:9000), the delivery
worker and the deadline sweeper, until SIGTERM or SIGINT, then drains and exits.
Takes no arguments: everything comes from the environment and RELAY_CONFIG.

  DATABASE_URL       sqlite:<file> (default sqlite:data/relay.db), postgres://…, mysql://…
  WECHAT_APPID, WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY
                     the mini program; without a token its pushes are refused
  RELAY_API_KEYS     keys for the registration and admin APIs (else loopback only)
  RELAY_TRUSTED_PROXIES
                     the proxies in front of the relay (e.g. 127.0.0.1 for nginx on this host)
  RELAY_CONFIG       a JSON or YAML file with several apps, keys and routes

The README lists every variable.`;

export const MIGRATE_USAGE = `Usage: callback-relay migrate

Applies the pending database migrations to DATABASE_URL and exits; a database
that is up to date is left as it is. Takes no arguments. A running relay
migrates at start by itself unless RELAY_MIGRATE_ON_START=false.`;

export const LISTEN_USAGE = `Usage: callback-relay listen --name <name> --forward-to <local-url> [--relay <url>] [--key <key>] [--print]

Receives the deliveries of every trace registered with server_uri tunnel://<name>[/path]
and POSTs each to <local-url> (plus the path), byte for byte, with the relay's headers.

  --relay <url>       the relay (default $RELAY_URL, else http://127.0.0.1:9000)
  --name <name>       tunnel name: 1 to 63 of a-z, 0-9 and -
  --forward-to <url>  your local server, e.g. http://localhost:8080/wx
  --key <key>         API key (default $RELAY_API_KEY), from RELAY_API_KEYS or RELAY_TUNNEL_KEYS
  --print             also print each delivery's body`;
