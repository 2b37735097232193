package com.example.moderation;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The controller's decisions served by the JDK's own HTTP server, with no Spring and no
 * library: the relay's tests compile this with javac and point real forwards at it, and it
 * runs where Maven cannot fetch Spring. {@code java ... PlainJdkReceiver [port]} with
 * RELAY_SIGNING_SECRET set prints one line per request.
 */
public final class PlainJdkReceiver {
    private PlainJdkReceiver() {
    }

    public static void main(String[] args) throws IOException {
        RelayInbox inbox = new RelayInbox(System.getenv("RELAY_SIGNING_SECRET"));
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", args.length > 0 ? Integer.parseInt(args[0]) : 8080), 0);
        server.createContext("/", (exchange) -> answer(exchange, inbox));
        server.start();
        System.out.println("listening " + server.getAddress().getPort());
    }

    private static void answer(HttpExchange exchange, RelayInbox inbox) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        int status;
        try {
            RelayInbox.Message message = inbox.open((name) -> exchange.getRequestHeaders().getFirst(name), body, Instant.now().getEpochSecond());
            if (message == null) {
                System.out.println("duplicate");
            } else {
                System.out.println(message.kind() + " " + message.traceId() + " delivery=" + message.deliveryId() + " attempt=" + message.attempt()
                        + " late=" + message.late() + " json=" + message.isJson() + " " + new String(body, StandardCharsets.UTF_8).replace('\n', ' '));
                inbox.markHandled(message.deliveryId());
            }
            status = 200;
        } catch (RelayInbox.Refused refused) {
            System.out.println("refused " + refused.status() + " " + refused.getMessage());
            status = refused.status();
        }
        exchange.sendResponseHeaders(status, -1);
        exchange.close();
    }
}
