package io.ferry.app.config;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.ferry.transfer.node.Logins;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code ferry_logins_total{protocol, method, outcome}}: every partner login a node decides, direct or for an edge.
 * The series are registered at 0, so that a dashboard's rate and an alert's ratio exist before the first login.
 */
final class LoginMeter implements Logins {

    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final MeterRegistry meters;

    LoginMeter(MeterRegistry meters) {
        this.meters = meters;
        for (String protocol : new String[] {"sftp", "ftps"}) {
            for (String method : protocol.equals("sftp") ? new String[] {"password", "publickey"}
                    : new String[] {"password"}) {
                for (Outcome outcome : Outcome.values()) {
                    counter(protocol, method, outcome);
                }
            }
        }
    }

    @Override
    public void decided(String protocol, String method, Outcome outcome) {
        counter(protocol, method, outcome).increment();
    }

    @Override
    public void refused(String protocol, String reason) {
        counters.computeIfAbsent("refused|" + protocol + '|' + reason, key -> Counter.builder("ferry.connections.refused")
                .description("partner connections a listener refused before any login")
                .tag("protocol", protocol).tag("reason", reason).register(meters)).increment();
    }

    private Counter counter(String protocol, String method, Outcome outcome) {
        return counters.computeIfAbsent(protocol + '|' + method + '|' + outcome, key -> Counter.builder("ferry.logins")
                .description("partner logins decided by this node, direct or for an edge")
                .tag("protocol", protocol).tag("method", method).tag("outcome", outcome.label())
                .register(meters));
    }
}
