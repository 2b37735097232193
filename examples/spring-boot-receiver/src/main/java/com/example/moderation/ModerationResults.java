package com.example.moderation;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/** Where your application acts on a verdict; here it only logs. */
@Service
public class ModerationResults {
    private static final Logger log = LoggerFactory.getLogger(ModerationResults.class);

    public void verdict(String traceId, String suggest, boolean late) {
        log.info("verdict {} for trace {}{}", suggest, traceId, late ? " (after the timeout notice)" : "");
    }

    public void timedOut(String traceId, String deadlineAt) {
        log.info("no verdict for trace {} by {}: WX_TIMEOUT_ERROR", traceId, deadlineAt);
    }
}
