package io.ferry.transfer.ftp;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import io.ferry.common.ftp.FtpsTls;
import io.ferry.transfer.node.DoorLimits;

/**
 * The FTPS listeners ({@code ferry.ftps.*}): explicit FTPS ({@code AUTH TLS}) and implicit FTPS, on the same accounts,
 * storage and transfer log as SFTP.
 *
 * @param enabled                whether FTPS runs at all
 * @param bindAddress            address both listeners bind
 * @param explicitEnabled        run the explicit listener
 * @param explicitPort           its port (0 picks a free one)
 * @param allowPlain             let clients on the explicit listener stay in plain FTP (off: {@code USER} before
 *                               {@code AUTH TLS} is refused)
 * @param implicitEnabled        run the implicit listener
 * @param implicitPort           its port (0 picks a free one)
 * @param requireProtectedData   require {@code PROT P} (TLS on data connections) before any transfer or listing
 * @param passivePorts           passive data ports, FtpServer syntax ({@code 30000-30100}, {@code 0} = any)
 * @param passiveAddress         address announced in PASV replies (behind NAT or the edge); empty = the local one
 * @param activeEnabled          allow PORT/EPRT (active mode); a target other than the client's own address is
 *                               always refused
 * @param idleTimeout            close a control connection idle this long
 * @param dataTimeout            close a data connection idle this long
 * @param authTimeout            time a client has to log in after connecting; then it is told {@code 421} and
 *                               the connection is closed, whatever commands it sends
 * @param maxLogins              sessions logged in at once, all accounts together
 * @param maxLoginsPerAccount    sessions one account may have at once
 * @param maxLoginFailures       failed logins before the connection is closed
 * @param tlsProtocols           TLS versions
 * @param cipherSuites           cipher suites, preference order (empty: Ferry's strong default,
 *                               {@link FtpsTls#DEFAULT_CIPHER_SUITES})
 * @param certificate            a PKCS#12 file or a PEM file with the certificate chain to present; empty: a
 *                               self-signed certificate generated on the first start and kept in the database
 * @param certificateKey         the PEM private key, when {@code certificate} is PEM
 * @param certificatePassword    password of the PKCS#12 file or of the encrypted PEM key
 * @param limits                 the door's limits before any login ({@code ferry.ftps.limits.*})
 */
@ConfigurationProperties("ferry.ftps")
public record FtpsProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("0.0.0.0") String bindAddress,
        @DefaultValue("true") boolean explicitEnabled,
        @DefaultValue("2121") int explicitPort,
        @DefaultValue("false") boolean allowPlain,
        @DefaultValue("true") boolean implicitEnabled,
        @DefaultValue("9990") int implicitPort,
        @DefaultValue("true") boolean requireProtectedData,
        @DefaultValue("30000-30100") String passivePorts,
        @DefaultValue("") String passiveAddress,
        @DefaultValue("false") boolean activeEnabled,
        @DefaultValue("10m") Duration idleTimeout,
        @DefaultValue("2m") Duration dataTimeout,
        @DefaultValue("30s") Duration authTimeout,
        @DefaultValue("500") int maxLogins,
        @DefaultValue("20") int maxLoginsPerAccount,
        @DefaultValue("6") int maxLoginFailures,
        @DefaultValue({"TLSv1.3", "TLSv1.2"}) List<String> tlsProtocols,
        @DefaultValue List<String> cipherSuites,
        @DefaultValue("") String certificate,
        @DefaultValue("") String certificateKey,
        @DefaultValue("") String certificatePassword,
        @DefaultValue DoorLimits limits) {

    public FtpsProperties {
        for (int port : new int[] {explicitPort, implicitPort}) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("ferry.ftps ports must be 0-65535, was " + port);
            }
        }
        if (authTimeout.isNegative() || authTimeout.isZero()) {
            throw new IllegalArgumentException("ferry.ftps.auth-timeout must be positive, was " + authTimeout);
        }
        if (maxLogins < 1 || maxLoginsPerAccount < 1 || maxLoginFailures < 1) {
            throw new IllegalArgumentException("ferry.ftps.max-logins, max-logins-per-account and max-login-failures "
                    + "must be at least 1");
        }
        for (String protocol : tlsProtocols) {
            if (!protocol.equals("TLSv1.3") && !protocol.equals("TLSv1.2")) {
                throw new IllegalArgumentException("ferry.ftps.tls-protocols: only TLSv1.2 and TLSv1.3 are allowed, not "
                        + protocol);
            }
        }
        tlsProtocols = List.copyOf(tlsProtocols);
        cipherSuites = List.copyOf(cipherSuites);
    }

}
