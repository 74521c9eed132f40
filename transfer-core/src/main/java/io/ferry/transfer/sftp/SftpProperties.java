package io.ferry.transfer.sftp;

import java.time.Duration;
import java.util.List;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import io.ferry.common.ssh.SshAlgorithms;
import io.ferry.transfer.node.DoorLimits;

/**
 * The SFTP listener ({@code ferry.sftp.*}). Empty algorithm lists mean Ferry's defaults (see
 * {@link SshAlgorithms}); a name the running JVM cannot provide is refused at start-up.
 *
 * @param enabled           whether the SFTP listener runs
 * @param port              TCP port; 0 picks a free one (tests)
 * @param bindAddress       address to listen on
 * @param idleTimeout       a session with no traffic for this long is closed; 0 disables
 * @param authTimeout       time a client has to authenticate after connecting
 * @param maxAuthAttempts   authentication attempts allowed per connection
 * @param windowSize        SSH channel window; larger uploads faster, costs up to this much heap per busy session
 * @param maxReadPacket     largest SFTP read reply (advertised through {@code limits@openssh.com})
 * @param ciphers           allowed ciphers, preference order
 * @param kexAlgorithms     allowed key exchanges, preference order
 * @param macs              allowed MACs, preference order
 * @param hostKeyAlgorithms allowed signature algorithms, preference order
 * @param maxChannelsPerSession channels one session may have open at once (OpenSSH allows 10)
 * @param maxHandlesPerSession  files and directories one SFTP session may have open at once
 * @param maxSessionsPerAccount sessions one account may have at once on this listener
 * @param limits            the door's limits before any login ({@code ferry.sftp.limits.*})
 */
@ConfigurationProperties("ferry.sftp")
public record SftpProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("2222") int port,
        @DefaultValue("0.0.0.0") String bindAddress,
        @DefaultValue("10m") Duration idleTimeout,
        @DefaultValue("30s") Duration authTimeout,
        @DefaultValue("6") int maxAuthAttempts,
        @DefaultValue("8MB") DataSize windowSize,
        @DefaultValue("261120") int maxReadPacket,
        @DefaultValue List<String> ciphers,
        @DefaultValue List<String> kexAlgorithms,
        @DefaultValue List<String> macs,
        @DefaultValue List<String> hostKeyAlgorithms,
        @DefaultValue("10") int maxChannelsPerSession,
        @DefaultValue("256") int maxHandlesPerSession,
        @DefaultValue("20") int maxSessionsPerAccount,
        @DefaultValue DoorLimits limits) {

    public SftpProperties {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("ferry.sftp.port must be 0-65535, was " + port);
        }
        if (maxChannelsPerSession < 1 || maxHandlesPerSession < 1 || maxSessionsPerAccount < 1) {
            throw new IllegalArgumentException("ferry.sftp.max-channels-per-session, max-handles-per-session and "
                    + "max-sessions-per-account must be at least 1");
        }
        if (maxAuthAttempts < 1) {
            throw new IllegalArgumentException("ferry.sftp.max-auth-attempts must be at least 1");
        }
        ciphers = List.copyOf(ciphers);
        kexAlgorithms = List.copyOf(kexAlgorithms);
        macs = List.copyOf(macs);
        hostKeyAlgorithms = List.copyOf(hostKeyAlgorithms);
    }

    /** The configured algorithm lists (empty ones: the defaults). */
    public SshAlgorithms.Lists algorithms() {
        return new SshAlgorithms.Lists(ciphers, kexAlgorithms, macs, hostKeyAlgorithms);
    }
}
