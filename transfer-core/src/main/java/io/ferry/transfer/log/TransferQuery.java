package io.ferry.transfer.log;

import java.time.Instant;

/**
 * A transfer-log filter; null fields do not filter.
 *
 * @param account exact username
 * @param outcome outcome of the transfer
 * @param from    transfers that started at or after this time
 * @param to      transfers that started before this time
 */
public record TransferQuery(String account, Outcome outcome, Instant from, Instant to) {
}
