package io.ferry.transfer.log;

import java.time.Instant;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/**
 * One row of the transfer log: one upload or download attempt, finished or failed. Rows are only ever inserted,
 * never updated or overwritten.
 */
@Entity
@Table(name = "transfers")
public class TransferRecord {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    @Column(nullable = false, length = 128)
    private String node;

    @Column(nullable = false, length = 16)
    private String protocol;

    @Column(name = "session_id", nullable = false, length = 64)
    private String sessionId;

    @Column(nullable = false, length = 64)
    private String account;

    @Column(nullable = false, length = 1024)
    private String path;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false, length = 16)
    private Direction direction;

    @Column(name = "start_offset", nullable = false)
    private long startOffset;

    @Column(nullable = false)
    private long bytes;

    @Column(length = 64)
    private String sha256;

    @Column(name = "started_at", nullable = false)
    private Instant startedAt;

    @Column(name = "ended_at", nullable = false)
    private Instant endedAt;

    @Enumerated(EnumType.STRING)
    @Column(nullable = false, length = 16)
    private Outcome outcome;

    @Column(length = 1024)
    private String error;

    @Column(name = "client_address", nullable = false, length = 64)
    private String clientAddress;

    @Column(length = 128)
    private String tls;

    @Column(length = 64)
    private String edge;

    @Column(name = "derived_from")
    private Long derivedFrom;

    protected TransferRecord() {
    }

    /** The TLS protocol and cipher suite the transfer ran under (FTPS); null for SFTP, whose SSH cipher is not TLS. */
    public TransferRecord withTls(String protocolAndCipher) {
        this.tls = truncate(protocolAndCipher, 128);
        return this;
    }

    public String getTls() {
        return tls;
    }

    /** The edge gateway that relayed the partner's session; null when the partner connected to the node itself. */
    public TransferRecord withEdge(String edgeName) {
        this.edge = truncate(edgeName, 64);
        return this;
    }

    public String getEdge() {
        return edge;
    }

    /** The row of the file this one was made from (decrypted, encrypted by a route); null for a file as it came. */
    public TransferRecord withDerivedFrom(Long original) {
        this.derivedFrom = original;
        return this;
    }

    public Long getDerivedFrom() {
        return derivedFrom;
    }

    @SuppressWarnings("checkstyle:ParameterNumber")
    public TransferRecord(String node, String protocol, String sessionId, String account, String path,
            Direction direction, long startOffset, long bytes, String sha256, Instant startedAt, Instant endedAt,
            Outcome outcome, String error, String clientAddress) {
        this.node = node;
        this.protocol = protocol;
        this.sessionId = sessionId;
        this.account = account;
        this.path = truncate(path, 1024);
        this.direction = direction;
        this.startOffset = startOffset;
        this.bytes = bytes;
        this.sha256 = sha256;
        this.startedAt = startedAt;
        this.endedAt = endedAt;
        this.outcome = outcome;
        this.error = truncate(error, 1024);
        this.clientAddress = truncate(clientAddress, 64);
    }

    /**
     * This row as not yet written: the same values without its id (an insert that was rolled back leaves the id
     * it was given on the object, and a row with an id is taken for one that exists).
     */
    public TransferRecord unsaved() {
        return new TransferRecord(node, protocol, sessionId, account, path, direction, startOffset, bytes, sha256,
                startedAt, endedAt, outcome, error, clientAddress).withTls(tls).withEdge(edge)
                .withDerivedFrom(derivedFrom);
    }

    /** The id the database gave this row when {@link TransferLog} inserted it. */
    void written(long id) {
        this.id = id;
    }

    private static String truncate(String value, int max) {
        return value == null || value.length() <= max ? value : value.substring(0, max);
    }

    public Long getId() {
        return id;
    }

    public String getNode() {
        return node;
    }

    public String getProtocol() {
        return protocol;
    }

    public String getSessionId() {
        return sessionId;
    }

    public String getAccount() {
        return account;
    }

    public String getPath() {
        return path;
    }

    public Direction getDirection() {
        return direction;
    }

    /** Where in the file this transfer started: non-zero for a resumed upload or download. */
    public long getStartOffset() {
        return startOffset;
    }

    public long getBytes() {
        return bytes;
    }

    /** SHA-256 (hex) of the bytes this transfer moved, from {@link #getStartOffset()} on. */
    public String getSha256() {
        return sha256;
    }

    public Instant getStartedAt() {
        return startedAt;
    }

    public Instant getEndedAt() {
        return endedAt;
    }

    public Outcome getOutcome() {
        return outcome;
    }

    public String getError() {
        return error;
    }

    public String getClientAddress() {
        return clientAddress;
    }
}
