package com.example.moderation;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Decides what to do with one request from callback-relay, from its headers and raw bytes
 * alone, so the same code serves a Spring controller, a servlet or a plain JDK server.
 * JDK only (Java 17 or later).
 */
public final class RelayInbox {
    /** What the relay sent: a verdict (x-relay-event: callback.received) or the timeout notice. */
    public enum Kind { VERDICT, TIMEOUT }

    /** A request to act on. {@code body} is the exact bytes: a verdict as WeChat pushes it in plain mode, or the notice's JSON. */
    public record Message(Kind kind, String traceId, String deliveryId, int attempt, boolean late, String contentType, byte[] body) {
        /** True for JSON (every timeout notice, and verdicts of an app set to JSON); false for XML. */
        public boolean isJson() {
            return contentType != null && contentType.toLowerCase().startsWith("application/json");
        }
    }

    /** The request must be answered with {@link #status()}; the relay retries it (a forged one simply fails in the end). */
    public static final class Refused extends Exception {
        private final int status;

        Refused(int status, String reason) {
            super(reason);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final List<String> secrets;
    // A retry of a delivery you have handled carries the same x-relay-delivery-id. Kept in memory
    // here to stay self-contained; in production make it a unique key in your own database.
    private final Set<String> handled = ConcurrentHashMap.newKeySet();

    /** {@code signingSecrets}: the relay's RELAY_SIGNING_SECRET (several space-separated during a rotation); null or blank checks nothing, for a trusted network only. */
    public RelayInbox(String signingSecrets) {
        this.secrets = signingSecrets == null || signingSecrets.isBlank() ? List.of() : Arrays.asList(signingSecrets.trim().split("\\s+"));
    }

    /**
     * The message to act on, or null for a retry of a delivery already handled (answer 2xx to it).
     * {@code header} looks a header up by its lower-case name, e.g. Spring's {@code headers::getFirst}.
     */
    public Message open(Function<String, String> header, byte[] body, long nowSeconds) throws Refused {
        if (!secrets.isEmpty() && secrets.stream().noneMatch((secret) -> RelaySignature.verify(secret, header.apply("webhook-id"),
                header.apply("webhook-timestamp"), header.apply("webhook-signature"), body, nowSeconds))) {
            throw new Refused(401, "the Standard Webhooks signature does not verify");
        }
        String deliveryId = header.apply("x-relay-delivery-id");
        String traceId = header.apply("x-relay-trace-id");
        if (deliveryId == null || traceId == null) {
            throw new Refused(400, "not a request from callback-relay: x-relay-delivery-id or x-relay-trace-id missing");
        }
        if (handled.contains(deliveryId)) {
            return null;
        }
        String event = header.apply("x-relay-event");
        Kind kind;
        if ("callback.received".equals(event)) {
            kind = Kind.VERDICT;
        } else if ("callback.timeout".equals(event)) {
            kind = Kind.TIMEOUT;
        } else {
            throw new Refused(400, "unknown x-relay-event " + event);
        }
        String attempt = header.apply("x-relay-attempt");
        return new Message(kind, traceId, deliveryId, attempt == null ? 1 : Integer.parseInt(attempt),
                "true".equals(header.apply("x-relay-late")), header.apply("content-type"), body);
    }

    /** Call once you have acted on the message (stored it, applied the verdict), before answering 2xx. */
    public void markHandled(String deliveryId) {
        handled.add(deliveryId);
    }
}
