package io.ferry.app.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.Map;

import org.flywaydb.core.api.migration.JavaMigration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.crypto.argon2.Argon2PasswordEncoder;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.DelegatingPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;

import io.ferry.cluster.ClusterNode;
import io.ferry.cluster.ClusterSettings;
import io.ferry.storage.StorageRoot;
import io.ferry.transfer.account.AccountService;
import io.ferry.transfer.account.BoundedPasswordEncoder;
import io.ferry.transfer.node.ServingState;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.ftp.FtpsProperties;
import io.ferry.transfer.ftp.FtpsServer;
import io.ferry.transfer.ftp.TlsCertificateStore;
import io.ferry.transfer.session.PartnerLogins;
import io.ferry.transfer.session.Transfers;
import io.ferry.transfer.sftp.EdgeListener;
import io.ferry.transfer.sftp.EdgeListenerProperties;
import io.ferry.transfer.sftp.HostKeyStore;
import io.ferry.transfer.sftp.SftpProperties;
import io.ferry.transfer.sftp.SftpServer;

/** The wiring of a transfer node: storage, cluster member, secrets and the SFTP listener. */
@Configuration(proxyBeanMethods = false)
class NodeConfiguration {

    private static final Logger log = LoggerFactory.getLogger(NodeConfiguration.class);

    @Bean
    MasterKey masterKey(NodeProperties node, SecurityProperties security) {
        if (security.masterKey() != null && !security.masterKey().isBlank()) {
            return MasterKey.fromBase64(security.masterKey());
        }
        Path file = security.masterKeyFile() != null ? security.masterKeyFile() : node.dataDir().resolve("master.key");
        return MasterKey.fromFile(file);
    }

    /** Migration V19, which needs the master key (Spring Boot hands such beans to Flyway). */
    @Bean
    JavaMigration sealedValuesMigration(MasterKey masterKey) {
        return new SealedValuesMigration(masterKey);
    }

    @Bean(destroyMethod = "close")
    ClusterNode clusterNode(ClusterProperties cluster, MasterKey masterKey) {
        String nodeId = cluster.nodeId() == null || cluster.nodeId().isBlank() ? hostName() : cluster.nodeId();
        return new ClusterNode(new ClusterSettings(cluster.name(), nodeId, cluster.bindAddress(), cluster.port(),
                cluster.members(), cluster.memberProofTimeout(), masterKey.derive("ferry-cluster")));
    }

    /**
     * Argon2id for new hashes; bcrypt hashes (imported accounts) still verify. One hash per core at once, for
     * partners and administrators together.
     */
    @Bean
    PasswordEncoder passwordEncoder() {
        DelegatingPasswordEncoder encoder = new DelegatingPasswordEncoder("argon2", Map.of(
                "argon2", Argon2PasswordEncoder.defaultsForSpringSecurity_v5_8(),
                "bcrypt", new BCryptPasswordEncoder()));
        return new BoundedPasswordEncoder(encoder);
    }

    /** Failed logins counted and bans kept cluster-wide, for every listener and every edge. */
    @Bean
    io.ferry.app.defender.ClusterDefender defender(ClusterNode cluster,
            io.ferry.app.defender.DefenderProperties properties, io.micrometer.core.instrument.MeterRegistry meters,
            io.ferry.transfer.node.RuntimeSettings settings) {
        io.ferry.app.defender.ClusterDefender defender = new io.ferry.app.defender.ClusterDefender(cluster, properties,
                meters);
        defender.follow(settings);
        return defender;
    }

    /** Counts every partner login a listener decides ({@code ferry_logins_total}). */
    @Bean
    LoginMeter loginMeter(io.micrometer.core.instrument.MeterRegistry meters) {
        return new LoginMeter(meters);
    }

    /** The one login path of every door (SFTP, FTPS, edges): the cluster's defender and the login meter. */
    @Bean
    PartnerLogins partnerLogins(AccountService accounts, StorageRoot storage,
            io.ferry.app.defender.ClusterDefender defender, LoginMeter logins) {
        return new PartnerLogins(accounts, storage, defender, logins);
    }

    @Bean
    SftpServer sftpServer(SftpProperties properties, HostKeyStore hostKeys, PartnerLogins logins, Transfers transfers,
            ServingState serving, io.ferry.transfer.node.RuntimeSettings settings) {
        SftpServer server = new SftpServer(properties, hostKeys, logins, transfers, serving);
        server.follow(settings); // the algorithm lists an administrator changes at run time
        return server;
    }

    @Bean
    FtpsServer ftpsServer(FtpsProperties properties, TlsCertificateStore certificates, AccountService accounts,
            PartnerLogins logins, Transfers transfers, ServingState serving,
            io.ferry.transfer.node.RuntimeSettings settings) {
        return new FtpsServer(properties, certificates, accounts, logins, transfers, serving,
                settings::ftpsMaxLoginsPerAccount);
    }

    @Bean
    io.ferry.transfer.edge.EdgeTickets edgeTickets() {
        return new io.ferry.transfer.edge.EdgeTickets(java.time.Clock.systemUTC());
    }

    /** Grants that carry a partner's session to another node when its own dies: sealed with the master key's. */
    @Bean
    io.ferry.transfer.edge.EdgeGrants edgeGrants(MasterKey masterKey) {
        return new io.ferry.transfer.edge.EdgeGrants(masterKey.derive("edge-grants"), java.time.Clock.systemUTC());
    }

    /**
     * The internal listener for edge gateways. What it tells an edge about this node: whether it serves partners (the
     * edge routes only to nodes that do), its role, mode, drain state and storage health, and the cluster's run-time
     * SSH algorithm lists, and the FTPS certificate's fingerprint.
     */
    @Bean
    EdgeListener edgeListener(EdgeListenerProperties properties, SftpProperties sftp, HostKeyStore hostKeys,
            AccountService accounts, PartnerLogins logins, Transfers transfers, StorageRoot storage,
            ClusterNode cluster, ServingState serving, io.ferry.transfer.edge.EdgeService edges,
            io.ferry.transfer.edge.EdgeTickets tickets, io.ferry.transfer.edge.EdgeGrants grants,
            org.springframework.beans.factory.ObjectProvider<io.ferry.app.cluster.ClusterRoles> roles,
            TlsCertificateStore certificates, FtpsProperties ftps, io.ferry.transfer.node.RuntimeSettings settings) {
        return new EdgeListener(properties, sftp, hostKeys, accounts, logins, transfers, serving, edges, tickets,
                grants, () -> {
                    io.ferry.app.cluster.ClusterRoles r = roles.getObject();
                    Map<String, String> status = new java.util.HashMap<>(Map.of("node", cluster.nodeId(),
                            "role", r.isPrimary() ? "primary" : "standby",
                            "mode", r.mode().toString(),
                            "drain", r.drainState().toString(),
                            "storage", storage.health().status().up() ? "up" : "down"));
                    // the partners' SSH algorithm lists changed at run time, for the edges to offer too
                    SftpServer.runtimeAlgorithms(settings).forEach((list, value) -> status.put("algorithms." + list,
                            value));
                    // the certificate the cluster presents, for the edges to follow when it is replaced (left out
                    // when it cannot be read: the edges keep theirs, and the node still serves)
                    try {
                        status.put("tls.fingerprint", certificates.currentFingerprint(ftps));
                    } catch (RuntimeException e) {
                        log.debug("No FTPS certificate fingerprint for the edges: {}", e.toString());
                    }
                    return status;
                }, () -> tlsIdentity(certificates.load(ftps)));
    }

    /** The cluster's FTPS certificate and key, for an edge to present (DER, base64). */
    private static Map<String, String> tlsIdentity(TlsCertificateStore.Identity identity) {
        Map<String, String> encoded = new java.util.HashMap<>();
        encoded.put("tls.key", java.util.Base64.getEncoder().encodeToString(identity.key().getEncoded()));
        encoded.put("tls.keyAlgorithm", identity.key().getAlgorithm());
        for (int i = 0; i < identity.chain().size(); i++) {
            try {
                encoded.put("tls.chain." + i, java.util.Base64.getEncoder().encodeToString(
                        identity.chain().get(i).getEncoded()));
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException("Cannot encode the FTPS certificate", e);
            }
        }
        return encoded;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "ferry-node";
        }
    }
}
