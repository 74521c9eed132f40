package io.ferry.transfer.log;

import java.time.Instant;

/**
 * A transfer-log filter; null fields do not filter.
 *
 * @param account  exact username
 * @param outcome  outcome of the transfer
 * @param from     transfers that started at or after this time
 * @param to       transfers that started before this time
 * @param partner  server-initiated transfers (deliveries, pulls) with this partner
 * @param protocol {@code sftp}, {@code ftps}, {@code copy}...
 * @param node     the node that ran it
 */
public record TransferQuery(String account, Outcome outcome, Instant from, Instant to, String partner,
        String protocol, String node) {

    public TransferQuery(String account, Outcome outcome, Instant from, Instant to) {
        this(account, outcome, from, to, null, null, null);
    }
}
