package com.example.moderation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.xml.XmlMapper;
import java.io.IOException;
import java.time.Instant;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The URL registered as server_uri. One mapping for the verdict and the timeout notice, and
 * no {@code consumes}: the notice is JSON even for an app whose verdicts are XML, and a
 * {@code consumes = "text/xml"} mapping would answer it 415 until its retries ran out.
 */
@RestController
public class ModerationCallbackController {
    private final RelayInbox inbox = new RelayInbox(System.getenv("RELAY_SIGNING_SECRET"));
    private final ObjectMapper json = new ObjectMapper();
    private final XmlMapper xml = new XmlMapper();
    private final ModerationResults results;

    public ModerationCallbackController(ModerationResults results) {
        this.results = results;
    }

    @PostMapping("/wx/moderation")
    public ResponseEntity<Void> receive(@RequestBody byte[] body, @RequestHeader HttpHeaders headers) throws IOException {
        RelayInbox.Message message;
        try {
            // The raw bytes: a body re-serialised by Jackson would no longer match its signature.
            message = inbox.open(headers::getFirst, body, Instant.now().getEpochSecond());
        } catch (RelayInbox.Refused refused) {
            return ResponseEntity.status(refused.status()).build();
        }
        if (message == null) {
            return ResponseEntity.ok().build();   // a retry of a delivery already handled
        }
        switch (message.kind()) {
            case TIMEOUT -> {
                // {"type":"callback.timeout","trace_id","error":"WX_TIMEOUT_ERROR","app_id",
                //  "registered_at","deadline_at","timed_out_at","message"}
                JsonNode notice = json.readTree(body);
                results.timedOut(message.traceId(), notice.path("deadline_at").asText());
            }
            case VERDICT -> {
                JsonNode verdict = message.isJson() ? json.readTree(body) : xml.readTree(body);
                // pass, review or risky; late = the timeout notice came first
                results.verdict(message.traceId(), verdict.path("result").path("suggest").asText(), message.late());
            }
        }
        inbox.markHandled(message.deliveryId());
        return ResponseEntity.ok().build();   // 2xx only once acted on: the relay's retries cover a crash before this
    }
}
