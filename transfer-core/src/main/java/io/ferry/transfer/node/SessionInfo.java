package io.ferry.transfer.node;

import java.time.Instant;

/**
 * A live partner session on this node, for the cluster-wide session list.
 *
 * @param id         the session id, as in the transfer log and the session's log lines
 * @param protocol   {@code sftp}, {@code ftps} or {@code ftp}
 * @param account    the account it logged in as; null before login
 * @param client     the client's address
 * @param startedAt  when the connection was accepted
 * @param bytesIn    bytes received from the client so far (SSH: the encrypted stream; FTP: control and data)
 * @param bytesOut   bytes sent to the client so far
 */
public record SessionInfo(String id, String protocol, String account, String client, Instant startedAt, long bytesIn,
        long bytesOut) {
}
