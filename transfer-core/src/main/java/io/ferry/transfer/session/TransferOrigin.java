package io.ferry.transfer.session;

import io.ferry.transfer.log.TransferRecord;

/**
 * Who moves a file, as the transfer log records it.
 *
 * @param protocol  {@code sftp}, {@code ftp}, {@code ftps}, or a partner's protocol for Ferry's own work
 * @param sessionId the partner session's id, or {@code work-<id>} for a work item
 * @param account   the account whose files these are
 * @param client    the partner's address, or for Ferry's own work the partner or source it came from
 * @param edge      the edge gateway that relayed the session, or null
 * @param tls       the TLS protocol and cipher suite of an FTPS session, or null
 * @param derivedFrom the transfer-log row of the file this one is made from (by a route's OpenPGP step), or null
 */
public record TransferOrigin(String protocol, String sessionId, String account, String client, String edge,
        String tls, Long derivedFrom) {

    /** A partner's session, or Ferry's own work on a file as it is. */
    public TransferOrigin(String protocol, String sessionId, String account, String client, String edge, String tls) {
        this(protocol, sessionId, account, client, edge, tls, null);
    }

    /** Ferry's own work (a delivery, pull, copy or intake) for work item or job {@code sessionId}. */
    public static TransferOrigin work(String protocol, String sessionId, String account, String source) {
        return new TransferOrigin(protocol, sessionId, account, source, null, null);
    }

    /** Ferry's own work making a file from the one whose transfer-log row is {@code original}. */
    public static TransferOrigin derived(String protocol, String sessionId, String account, String source,
            long original) {
        return new TransferOrigin(protocol, sessionId, account, source, null, null, original);
    }

    /** {@code row} with what this origin adds to the columns every row has: edge, TLS, original. */
    TransferRecord stamp(TransferRecord row) {
        return row.withEdge(edge).withTls(tls).withDerivedFrom(derivedFrom);
    }
}
