package com.example.moderation;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks the Standard Webhooks signature callback-relay puts on every forward when
 * RELAY_SIGNING_SECRET is set. JDK only (Java 11 or later): copy this file into your
 * project. Verify over the raw bytes of the body, before any JSON or XML parsing.
 */
public final class RelaySignature {
    /** A forward signed longer ago than this (or this far ahead of the clock) is refused. */
    private static final long TOLERANCE_SECONDS = 300;

    private RelaySignature() {
    }

    /**
     * True when the timestamp is within five minutes of {@code nowSeconds} and one of
     * the space-separated {@code v1,<base64>} signatures is the HMAC-SHA256, keyed by
     * the secret's base64 part, of {@code <webhook-id>.<webhook-timestamp>.<body>}.
     * Several signatures come while the relay holds several secrets (rotation).
     */
    public static boolean verify(String secret, String webhookId, String webhookTimestamp, String webhookSignature, byte[] rawBody, long nowSeconds) {
        if (secret == null || webhookId == null || webhookTimestamp == null || webhookSignature == null || rawBody == null) {
            return false;
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(webhookTimestamp.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(nowSeconds - timestamp) > TOLERANCE_SECONDS) {
            return false;
        }
        byte[] expected;
        try {
            byte[] key = Base64.getDecoder().decode(secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update((webhookId + "." + webhookTimestamp.trim() + ".").getBytes(StandardCharsets.UTF_8));
            expected = mac.doFinal(rawBody);
        } catch (Exception e) {
            return false;
        }
        for (String part : webhookSignature.trim().split(" +")) {
            int comma = part.indexOf(',');
            if (comma < 0 || !"v1".equals(part.substring(0, comma))) {
                continue;
            }
            byte[] given;
            try {
                given = Base64.getDecoder().decode(part.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            // Constant time: how long the comparison takes says nothing about the signature.
            if (MessageDigest.isEqual(expected, given)) {
                return true;
            }
        }
        return false;
    }

    /** {@code java RelaySignature.java <secret> <webhook-id> <webhook-timestamp> <webhook-signature> <body-file>}: prints valid or invalid. */
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: java RelaySignature.java <secret> <webhook-id> <webhook-timestamp> <webhook-signature> <body-file>");
            System.exit(2);
        }
        byte[] body = Files.readAllBytes(Path.of(args[4]));
        boolean valid = verify(args[0], args[1], args[2], args[3], body, System.currentTimeMillis() / 1000);
        System.out.println(valid ? "valid" : "invalid");
        System.exit(valid ? 0 : 1);
    }
}
