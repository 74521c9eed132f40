package io.ferry.transfer.session;

/**
 * Who moves a file, as the transfer log records it.
 *
 * @param protocol  {@code sftp}, {@code ftp}, {@code ftps}, or a partner's protocol for Ferry's own work
 * @param sessionId the partner session's id, or {@code work-<id>} for a work item
 * @param account   the account whose files these are
 * @param client    the partner's address, or for Ferry's own work the partner or source it came from
 * @param edge      the edge gateway that relayed the session, or null
 * @param tls       the TLS protocol and cipher suite of an FTPS session, or null
 */
public record TransferOrigin(String protocol, String sessionId, String account, String client, String edge,
        String tls) {

    /** Ferry's own work (a delivery, pull, copy or intake) for work item or job {@code sessionId}. */
    public static TransferOrigin work(String protocol, String sessionId, String account, String source) {
        return new TransferOrigin(protocol, sessionId, account, source, null, null);
    }
}
