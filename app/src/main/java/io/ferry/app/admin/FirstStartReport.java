package io.ferry.app.admin;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

import io.ferry.transfer.ftp.FtpsProperties;
import io.ferry.transfer.ftp.FtpsServer;
import io.ferry.transfer.secret.MasterKey;
import io.ferry.transfer.sftp.SftpServer;

/**
 * What the operator of a new installation needs, in one block once the node is ready: the console's address, the
 * ports partners connect to, where the administrator's password is, and the master key to back up. The start that
 * created the administrator prints it, and so does every later one while the generated password's file is there
 * (a first start that ended before it was ready loses nothing). Any other start whose master key file it created
 * anew (a node given a data directory of its own but no key) says only that, since that key wants a backup, or the
 * cluster's key instead.
 */
@Component
class FirstStartReport {

    private static final Logger log = LoggerFactory.getLogger(FirstStartReport.class);
    private static final String BACK_IT_UP = "back it up: without it the secrets in the database cannot be read, "
            + "and every node of a cluster needs the same key";

    private final AdminBootstrap admin;
    private final MasterKey masterKey;
    private final SftpServer sftp;
    private final FtpsServer ftps;
    private final FtpsProperties ftpsProperties;
    private final Environment environment;

    FirstStartReport(AdminBootstrap admin, MasterKey masterKey, SftpServer sftp, FtpsServer ftps,
            FtpsProperties ftpsProperties, Environment environment) {
        this.admin = admin;
        this.masterKey = masterKey;
        this.sftp = sftp;
        this.ftps = ftps;
        this.ftpsProperties = ftpsProperties;
        this.environment = environment;
    }

    @EventListener(ApplicationReadyEvent.class)
    void ready() {
        AdminBootstrap.Created created = admin.fresh();
        if (created != null) {
            log.warn("{}", report(created));
        } else if (masterKey.created()) {
            log.warn("Created a new master key in {}: {}", masterKey.file(), BACK_IT_UP);
        }
    }

    /** The block, one line per item. */
    private String report(AdminBootstrap.Created created) {
        String web = webAddress();
        List<String> lines = new ArrayList<>();
        lines.add("Ferry is ready. This is a new installation:");
        lines.add("  Web console      " + web + "/ (log in as 'admin')");
        lines.add("  Admin password   " + (created.passwordFile() == null
                ? "the one given in ferry.admin.password (FERRY_ADMIN_PASSWORD)"
                : "in " + created.passwordFile() + " (only this user may read it; change the password after "
                        + "logging in, then delete the file)"));
        lines.add("  SFTP             port " + sftp.port());
        lines.add("  FTPS             " + ftpsLine());
        lines.add("  REST API         " + web + "/api/v1 (health: /actuator/health, metrics: /actuator/prometheus)");
        lines.add("  Master key       " + (masterKey.file() == null
                ? "given in ferry.security.master-key: keep a copy where this configuration is kept"
                : masterKey.file() + ": " + BACK_IT_UP));
        return String.join(System.lineSeparator(), lines);
    }

    private String ftpsLine() {
        if (!ftpsProperties.enabled()) {
            return "off (ferry.ftps.enabled=false)";
        }
        List<String> listeners = new ArrayList<>();
        if (ftps.explicitPort() > 0) {
            listeners.add("explicit TLS on port " + ftps.explicitPort());
        }
        if (ftps.implicitPort() > 0) {
            listeners.add("implicit TLS on port " + ftps.implicitPort());
        }
        if (listeners.isEmpty()) {
            return "no listener open on this node now";
        }
        String passive = ftpsProperties.passivePorts().equals("0") ? "any free port" : ftpsProperties.passivePorts();
        return String.join(", ", listeners) + "; passive data ports " + passive;
    }

    /** The web server's address as a browser on this machine reaches it. */
    private String webAddress() {
        boolean tls = environment.getProperty("server.ssl.enabled", Boolean.class, false);
        String address = environment.getProperty("server.address", "");
        String host = address.isBlank() || address.equals("0.0.0.0") || address.equals("::") ? "localhost"
                : address.contains(":") ? "[" + address + "]" : address;
        return (tls ? "https" : "http") + "://" + host + ":" + environment.getProperty("local.server.port");
    }
}
