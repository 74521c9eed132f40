package io.ferry.transfer.sftp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.server.session.ServerSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.ferry.common.ClientAddresses;
import io.ferry.common.LogText;
import io.ferry.transfer.account.Account;
import io.ferry.transfer.edge.EdgeGrants;
import io.ferry.transfer.edge.EdgeTickets;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.session.PartnerLogins;

/**
 * The requests of an edge's control session ({@link EdgeListener}), each a {@link Properties} text in and out:
 * {@code status}, {@code auth} (a partner's password or public key checked through {@link PartnerLogins}, answered
 * with a one-time ticket and a grant), {@code resume} (a grant taken to this node when the node serving the
 * partner's session died, answered with a ticket: {@link EdgeGrants}), {@code bans} and {@code ban} (the cluster's
 * defender), and {@code identity} (the cluster's SSH host keys and FTPS certificate, for the edge to present).
 */
final class EdgeRequests {

    private static final Logger log = LoggerFactory.getLogger(EdgeRequests.class);
    /** The longest ban an edge may ask for. */
    static final Duration MAX_EDGE_BAN = Duration.ofDays(1);
    /** The most bans one edge may ask for in an hour. */
    static final int EDGE_BANS_PER_HOUR = 200;

    private final PartnerLogins logins;
    private final EdgeTickets tickets;
    private final EdgeGrants grants;
    private final ServingState serving;
    private final Supplier<Map<String, String>> status;
    private final Supplier<Map<String, String>> tlsIdentity;
    private final List<KeyPair> hostKeys;
    private final boolean shareIdentity;
    private final PartnerSignatures signatures;
    private final EdgeBans edgeBans = new EdgeBans();
    /** Edge sessions an administrator closed: not resumed. */
    private final Predicate<String> closedForGood;

    EdgeRequests(PartnerLogins logins, EdgeTickets tickets, EdgeGrants grants, ServingState serving,
            Supplier<Map<String, String>> status, Supplier<Map<String, String>> tlsIdentity, List<KeyPair> hostKeys,
            boolean shareIdentity, PartnerSignatures.Ledger ledger, Predicate<String> closedForGood) {
        this.closedForGood = closedForGood;
        this.shareIdentity = shareIdentity;
        this.signatures = new PartnerSignatures(ledger);
        this.logins = logins;
        this.tickets = tickets;
        this.grants = grants;
        this.serving = serving;
        this.status = status;
        this.tlsIdentity = tlsIdentity;
        this.hostKeys = hostKeys;
    }

    /** Answers one request of an edge's control session. */
    Properties answer(ServerSession session, String command, Properties request) {
        String edge = SftpSessions.edge(session);
        Properties answer = new Properties();
        switch (command) {
            case "status" -> {
                answer.putAll(status.get());
                answer.setProperty("serving", String.valueOf(serving.serving()));
            }
            case "auth" -> authenticate(session, edge, request, answer);
            case "resume" -> resume(session, edge, request, answer);
            case "bans" -> logins.defender().bans().forEach((address, until) -> answer.setProperty(address,
                    String.valueOf(until.toEpochMilli())));
            case "ban" -> ban(edge, request, answer);
            case "identity" -> {
                if (!shareIdentity) {
                    throw new IllegalArgumentException("this cluster gives edges no identity "
                            + "(ferry.edge-listener.share-identity=false): give the edge its own, ferry.edge.identity.*");
                }
                for (int i = 0; i < hostKeys.size(); i++) {
                    answer.setProperty("hostKey." + i, encode(hostKeys.get(i)));
                }
                answer.putAll(tlsIdentity.get());
            }
            default -> throw new IllegalArgumentException("unknown request '" + command + "'");
        }
        return answer;
    }

    /**
     * An edge's ban, bounded: only of an address whose login failed in the cluster lately (so an edge cannot shut
     * out addresses it never saw fail), for at most {@link #MAX_EDGE_BAN}, and at most {@link #EDGE_BANS_PER_HOUR}
     * per edge an hour. A refused ban is answered {@code ok=false} with its reason, and logged.
     */
    private void ban(String edge, Properties request, Properties answer) {
        String address = request.getProperty("address");
        long seconds;
        try {
            seconds = Long.parseLong(request.getProperty("seconds", "900"));
        } catch (NumberFormatException e) {
            seconds = -1;
        }
        if (address == null || seconds <= 0 || ClientAddresses.bytes(address) == null) {
            throw new IllegalArgumentException("ban needs an IP address and seconds > 0");
        }
        String refused = !logins.defender().failedRecently(address) ? "no-recent-failures"
                : !edgeBans.take(edge) ? "too-many-bans" : null;
        if (refused != null) {
            log.warn("Edge {} asked to ban {}: refused ({})", LogText.quoted(edge), LogText.quoted(address), refused);
            answer.setProperty("ok", "false");
            answer.setProperty("reason", refused);
            return;
        }
        logins.defender().ban(address, Duration.ofSeconds(Math.min(seconds, MAX_EDGE_BAN.toSeconds())),
                "banned by edge " + LogText.quoted(edge) + ": " + request.getProperty("reason", "failed logins"));
        answer.setProperty("ok", "true");
    }

    private void authenticate(ServerSession session, String edge, Properties request, Properties answer) {
        String username = request.getProperty("username", "");
        String address = request.getProperty("address", "");
        if (ClientAddresses.bytes(address) == null) {
            throw new IllegalArgumentException("auth needs the partner's address as an IP address");
        }
        address = ClientAddresses.canonical(address);
        String password = request.getProperty("password");
        String publicKey = request.getProperty("publicKey");
        String method = password != null ? "password" : "publickey";
        String protocol = "ftps".equals(request.getProperty("protocol")) ? "ftps" : "sftp";
        // the partner's session id at the edge, taken by the file session (only an id of the edges' own form)
        String edgeSession = request.getProperty("session");
        if (edgeSession != null && !SftpSessions.isSessionId(edgeSession)) {
            edgeSession = null;
        }
        if (!serving.serving()) {
            answer.setProperty("ok", "false");
            answer.setProperty("reason", "not-serving");
            return;
        }
        Optional<java.time.Instant> bannedUntil = logins.bannedUntil(address);
        if (bannedUntil.isPresent()) {
            log.info("Authentication of {} from {} through edge {} refused: banned until {}",
                    LogText.quoted(username), address, LogText.quoted(edge), bannedUntil.get());
            answer.setProperty("ok", "false");
            answer.setProperty("reason", "banned");
            answer.setProperty("until", String.valueOf(bannedUntil.get().toEpochMilli()));
            return; // a ban is the defender's count, as for a partner connecting to the node itself
        }
        if (edgeBans.failuresSpent(edge)) {
            // bounds what one edge can make the nodes hash, and how many guesses it can make, whatever addresses it
            // claims
            log.warn("Authentication through edge {} refused: more than {} failed logins through it this minute",
                    LogText.quoted(edge), EdgeBans.FAILURES_PER_MINUTE);
            answer.setProperty("ok", "false");
            answer.setProperty("reason", "denied");
            return;
        }
        PartnerLogins.Attempt attempt = new PartnerLogins.Attempt(protocol, method, username, address, edge);
        Optional<Account> account;
        boolean proven = true;
        if (password != null) {
            account = logins.password(attempt, password);
        } else if (publicKey != null) {
            PublicKey key = parseKey(publicKey);
            account = logins.publicKey(attempt, key);
            // an edge holds no partner's private key: a ticket needs what the partner signed, checked here
            proven = PartnerSignatures.present(request);
            if (account.isPresent() && proven && !verified(session, edge, username, key, request)) {
                log.warn("Public-key login of {} from {} through edge {} refused: the forwarded signature is not the "
                        + "key's, or was used before", LogText.quoted(username), LogText.quoted(address),
                        LogText.quoted(edge));
                account = Optional.empty();
            }
        } else {
            throw new IllegalArgumentException("auth needs a password or a publicKey");
        }
        if (account.isEmpty()) {
            answer.setProperty("ok", "false");
            answer.setProperty("reason", "denied");
            edgeBans.failed(edge);
            logins.bannedUntil(address).ifPresent(until -> {
                answer.setProperty("reason", "banned");
                answer.setProperty("until", String.valueOf(until.toEpochMilli()));
            });
            return;
        }
        if (!logins.addressAllowed(attempt, account.get())) {
            answer.setProperty("ok", "false");
            answer.setProperty("reason", "denied");
            return;
        }
        answer.setProperty("ok", "true");
        if (proven) {
            String ticket = tickets.issue(edge, account.get().getUsername(), address, protocol, method, edgeSession);
            answer.setProperty("ticket", ticket);
            answer.setProperty("grant", grants.issue(edge, session.getAttribute(EdgeListener.REGISTRATION),
                    tickets.peek(ticket), account.get().getVersion()));
        }
        // a key merely offered is acceptable (the edge answers the partner's query) but earns no ticket; the success
        // is counted when the edge redeems the ticket
    }

    /**
     * A partner's session carried over to this node (the node serving it died): the grant its login earned, checked,
     * and what a login checks besides the credential checked again (this node serves, the address is not banned,
     * the account's address rules; the account's being enabled, when the ticket is redeemed). Answered with a
     * one-time ticket as a login is; a refusal says why ({@code not-serving}, {@code banned}, {@code denied}).
     */
    private void resume(ServerSession session, String edge, Properties request, Properties answer) {
        Optional<EdgeGrants.Grant> grant = grants.check(edge, session.getAttribute(EdgeListener.REGISTRATION),
                request.getProperty("grant"));
        answer.setProperty("ok", "false");
        if (grant.isEmpty()) {
            log.warn("Edge {} asked to resume a session with a grant this cluster did not give it, or an expired one",
                    LogText.quoted(edge));
            answer.setProperty("reason", "denied");
            return;
        }
        EdgeGrants.Grant g = grant.get();
        if (closedForGood.test(g.edgeSession())) {
            log.info("Session {} of {} through edge {} not resumed: an administrator closed it", g.edgeSession(),
                    LogText.quoted(g.account()), LogText.quoted(edge));
            answer.setProperty("reason", "denied");
            return;
        }
        if (!serving.serving()) {
            answer.setProperty("reason", "not-serving");
            return;
        }
        if (logins.bannedUntil(g.clientAddress()).isPresent()) {
            answer.setProperty("reason", "banned");
            return;
        }
        PartnerLogins.Attempt attempt = new PartnerLogins.Attempt(g.protocol(), g.method(), g.account(),
                g.clientAddress(), edge);
        Optional<Account> account = logins.enabledAccount(g.account());
        if (account.isEmpty() || account.get().getVersion() != g.accountVersion()
                || !logins.addressAllowed(attempt, account.get())) {
            log.info("Session {} of {} through edge {} not resumed here: the account is gone, disabled, changed since "
                    + "the login, or refuses the address", g.edgeSession(), LogText.quoted(g.account()),
                    LogText.quoted(edge));
            answer.setProperty("reason", "denied");
            return;
        }
        log.info("Resuming session {} of {} from {} through edge {}: the node serving it is gone", g.edgeSession(),
                LogText.quoted(g.account()), g.clientAddress(), LogText.quoted(edge));
        answer.setProperty("ok", "true");
        answer.setProperty("ticket", tickets.issue(edge, g.account(), g.clientAddress(), g.protocol(), g.method(),
                g.edgeSession(), true));
    }

    private boolean verified(ServerSession session, String edge, String username, PublicKey key,
            Properties request) {
        try {
            return signatures.verify(session, edge, username, key, request);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            log.warn("Cannot check a forwarded signature: {}", e.toString());
            return false;
        }
    }

    private static PublicKey parseKey(String line) {
        try {
            AuthorizedKeyEntry entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line.trim());
            PublicKey key = entry == null ? null
                    : entry.resolvePublicKey(null, Collections.emptyMap(), PublicKeyEntryResolver.FAILING);
            if (key == null) {
                throw new IllegalArgumentException("publicKey is not a public key");
            }
            return key;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("publicKey is not a valid OpenSSH public key: " + e.getMessage(), e);
        }
    }

    private static String encode(KeyPair pair) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new OpenSSHKeyPairResourceWriter().writePrivateKey(pair, "ferry", null, out);
            return Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (IOException | GeneralSecurityException e) {
            throw new UncheckedIOException(new IOException("Cannot encode the host key", e));
        }
    }
}
